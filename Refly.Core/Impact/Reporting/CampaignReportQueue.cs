using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Notifications;
using Refly.Core.Persistence;

namespace Refly.Core.Impact.Reporting;

/// <summary>Stored report numbers changed for these campaigns (pages showing their results reload).</summary>
public sealed record ImpactReportsChanged(IReadOnlyList<string> CampaignIds) : ChangeEvent;

/// <summary>What an on-demand refresh answered.</summary>
public enum ReportRefreshOutcome
{
    /// <summary>Queued: the report job reads it now (within Klaviyo's per-second and per-minute limits).</summary>
    Queued,

    /// <summary>No such campaign has been synced.</summary>
    CampaignNotFound,

    /// <summary>The campaign is not Sent (or has no send time): there is nothing to report yet.</summary>
    NotSent,

    /// <summary>Today's report queries are spent; see <see cref="ReportRefreshResult.NextAllowedAt"/>.</summary>
    BudgetSpent,
}

/// <summary>The outcome of <see cref="CampaignReportQueue.RequestRefreshAsync"/>.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="NextAllowedAt">When the budget allows the next query (now unless it is spent).</param>
public sealed record ReportRefreshResult(ReportRefreshOutcome Outcome, DateTimeOffset? NextAllowedAt = null);

/// <summary>What one drain did.</summary>
/// <param name="Queries">Report queries sent.</param>
/// <param name="Campaigns">Campaigns whose numbers were stored.</param>
/// <param name="StoppedByBudget">True when due campaigns are left because today's budget is spent.</param>
public sealed record ReportDrainResult(int Queries, int Campaigns, bool StoppedByBudget);

/// <summary>
/// The one queue of campaign values reports for the whole app. Sent campaigns get a schedule (2 h, 24 h, 72 h, 7 days
/// after the send); each drain reads every due campaign, up to 100 per query (one <c>contains-any(campaign_id,...)</c>
/// filter) grouped per campaign message, and stores the numbers. Queries go one at a time in this process; the pacing
/// handler holds a query over Klaviyo's 1/s and 2/min until it may go (it waits, it does not fail) and
/// <see cref="ReportingBudget"/> keeps the daily 225, so a query Klaviyo would refuse for the day is never sent.
/// </summary>
public sealed class CampaignReportQueue(
    IDbContextFactory<ReflyDbContext> contextFactory,
    IKlaviyoClient klaviyo,
    ConversionMetricResolver conversionMetric,
    ReportingBudget budget,
    IChangeNotifier notifier,
    IOptionsMonitor<ReportingOptions> options,
    TimeProvider time,
    ILogger<CampaignReportQueue> logger)
{
    /// <summary>The statistics Refly stores (the spec's names, reporting.json).</summary>
    public static readonly IReadOnlyList<string> Statistics =
    [
        "recipients", "delivered", "opens_unique", "open_rate", "clicks_unique", "click_rate",
        "conversion_uniques", "conversion_rate", "conversion_value", "revenue_per_recipient",
    ];

    // Klaviyo's report covers a timeframe of at most a year.
    private static readonly TimeSpan _maxTimeframe = TimeSpan.FromDays(360);
    private static readonly TimeSpan _timeframeMargin = TimeSpan.FromDays(1);

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Gives every Sent campaign with a send time a schedule (first step 2 h after the send); returns how many were added.</summary>
    public async Task<int> ScheduleSentCampaignsAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var unscheduled = await db.Campaigns
            .Where(c => c.Status == CampaignStatus.Sent && c.SendTime != null && c.RemovedFromKlaviyoAt == null)
            .Where(c => !db.CampaignReportSchedules.Any(s => s.CampaignKlaviyoId == c.KlaviyoId))
            .Select(c => new { c.KlaviyoId, SendTime = c.SendTime!.Value })
            .ToListAsync(cancellationToken);
        foreach (var campaign in unscheduled)
        {
            db.CampaignReportSchedules.Add(new CampaignReportSchedule
            {
                CampaignKlaviyoId = campaign.KlaviyoId,
                SentAt = campaign.SendTime,
                NextDueAt = ReportSchedule.NextDue(campaign.SendTime, null),
            });
        }
        await db.SaveChangesAsync(cancellationToken);
        return unscheduled.Count;
    }

    /// <summary>Reads every due campaign's report (batches of up to 100), until none is due or the day's budget is spent.</summary>
    public async Task<ReportDrainResult> DrainAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await ScheduleSentCampaignsAsync(cancellationToken);
            var (queries, campaigns) = (0, 0);
            while (true)
            {
                var batch = await DueBatchAsync(cancellationToken);
                if (batch.Count == 0)
                {
                    return new ReportDrainResult(queries, campaigns, StoppedByBudget: false);
                }

                var metric = await conversionMetric.ResolveAsync(cancellationToken);
                if (metric is null)
                {
                    await FailAsync(batch, "The account has no conversion metric: choose one in Settings (Klaviyo has no \"Placed Order\" metric).", cancellationToken);
                    logger.LogWarning("Campaign reports not read: no conversion metric (choose one in Settings)");
                    return new ReportDrainResult(queries, campaigns, StoppedByBudget: false);
                }

                if (!await budget.TryReserveAsync(cancellationToken))
                {
                    logger.LogInformation("Campaign reports wait for tomorrow (UTC): today's {Budget} report queries are spent", options.CurrentValue.DailyQueryBudget);
                    return new ReportDrainResult(queries, campaigns, StoppedByBudget: true);
                }

                queries++;
                var (rows, dailyWindowSpent) = await QueryAsync(batch, metric.Id, cancellationToken);
                if (dailyWindowSpent)
                {
                    // Klaviyo's daily window is spent by others: nothing more today.
                    return new ReportDrainResult(queries, campaigns, StoppedByBudget: true);
                }
                if (rows is null)
                {
                    // This batch failed and waits for its retry; other due campaigns may still go.
                    continue;
                }

                await StoreAsync(batch, rows, metric.Id, cancellationToken);
                campaigns += batch.Count;
                notifier.Publish(new ImpactReportsChanged(batch.Select(s => s.CampaignKlaviyoId).ToList()));
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Makes a Sent campaign due now (the report job then reads it), unless today's budget is spent; the schedule's
    /// steps go on as before.
    /// </summary>
    public async Task<ReportRefreshResult> RequestRefreshAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignKlaviyoId);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var campaign = await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.KlaviyoId == campaignKlaviyoId, cancellationToken);
        if (campaign is null)
        {
            return new ReportRefreshResult(ReportRefreshOutcome.CampaignNotFound);
        }
        if (campaign.Status != CampaignStatus.Sent || campaign.SendTime is not { } sentAt)
        {
            return new ReportRefreshResult(ReportRefreshOutcome.NotSent);
        }

        var status = await budget.StatusAsync(cancellationToken);
        if (status.Spent)
        {
            return new ReportRefreshResult(ReportRefreshOutcome.BudgetSpent, status.NextAllowedAt);
        }

        var now = time.GetUtcNow();
        var schedule = await db.CampaignReportSchedules.FirstOrDefaultAsync(s => s.CampaignKlaviyoId == campaignKlaviyoId, cancellationToken);
        if (schedule is null)
        {
            db.CampaignReportSchedules.Add(new CampaignReportSchedule { CampaignKlaviyoId = campaignKlaviyoId, SentAt = sentAt, NextDueAt = now });
        }
        else
        {
            schedule.NextDueAt = now;
        }
        await db.SaveChangesAsync(cancellationToken);
        return new ReportRefreshResult(ReportRefreshOutcome.Queued, now);
    }

    /// <summary>The campaign's schedule, or null when it has none (not Sent, or not seen by a drain yet).</summary>
    public async Task<CampaignReportSchedule?> ScheduleOfAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.CampaignReportSchedules.AsNoTracking().FirstOrDefaultAsync(s => s.CampaignKlaviyoId == campaignKlaviyoId, cancellationToken);
    }

    // The due campaigns sent earliest, at most 100, whose send times fit one report timeframe.
    private async Task<List<CampaignReportSchedule>> DueBatchAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var due = await db.CampaignReportSchedules.AsNoTracking()
            .Where(s => s.NextDueAt != null && s.NextDueAt <= now)
            .OrderBy(s => s.SentAt)
            .Take(KlaviyoClient.MaxCampaignsPerValuesReport)
            .ToListAsync(cancellationToken);
        return due.Count == 0 ? due : due.Where(s => s.SentAt - due[0].SentAt <= _maxTimeframe).ToList();
    }

    private async Task<(IReadOnlyList<KlaviyoCampaignValues>? Rows, bool DailyWindowSpent)> QueryAsync(List<CampaignReportSchedule> batch, string metricId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var start = batch.Min(s => s.SentAt) - _timeframeMargin;
        var end = batch.Max(s => s.SentAt) + _timeframeMargin;
        var query = new KlaviyoCampaignValuesQuery(batch.Select(s => s.CampaignKlaviyoId).ToList(), Statistics, metricId, start, end < now ? end : now);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.CurrentValue.QueryTimeout);
        try
        {
            return (await klaviyo.QueryCampaignValuesAsync(query, timeout.Token), false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await budget.MarkSpentAsync(cancellationToken);
            logger.LogWarning("Campaign report query still refused after {Timeout}: Klaviyo's daily window seems spent by the account's other integrations; reports resume tomorrow (UTC)",
                options.CurrentValue.QueryTimeout);
            return (null, true);
        }
        catch (KlaviyoException ex)
        {
            logger.LogWarning("Campaign report query for {Count} campaigns failed: {Reason}", batch.Count, ex.Message);
            await FailAsync(batch, ex.Message, cancellationToken);
            return (null, false);
        }
    }

    private async Task FailAsync(List<CampaignReportSchedule> batch, string reason, CancellationToken cancellationToken)
    {
        var retryAt = time.GetUtcNow() + options.CurrentValue.RetryAfterFailure;
        var ids = batch.Select(s => s.CampaignKlaviyoId).ToList();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var schedules = await db.CampaignReportSchedules.Where(s => ids.Contains(s.CampaignKlaviyoId)).ToListAsync(cancellationToken);
        foreach (var schedule in schedules)
        {
            schedule.NextDueAt = retryAt;
            schedule.LastError = reason.Length > 1000 ? reason[..1000] : reason;
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private async Task StoreAsync(List<CampaignReportSchedule> batch, IReadOnlyList<KlaviyoCampaignValues> rows, string metricId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var ids = batch.Select(s => s.CampaignKlaviyoId).ToList();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var schedules = await db.CampaignReportSchedules.Where(s => ids.Contains(s.CampaignKlaviyoId)).ToListAsync(cancellationToken);
        var existing = await db.CampaignReportRows.Where(r => ids.Contains(r.CampaignKlaviyoId)).ToListAsync(cancellationToken);
        // A campaign sent on several channels answers one row per channel: the email rows are what Refly measures.
        foreach (var row in rows.Where(r => ids.Contains(r.CampaignId) && (r.SendChannel is null || r.SendChannel == "email")))
        {
            var stored = existing.FirstOrDefault(r => r.CampaignKlaviyoId == row.CampaignId && r.MessageKlaviyoId == row.MessageId);
            if (stored is null)
            {
                stored = new CampaignReportRow { CampaignKlaviyoId = row.CampaignId, MessageKlaviyoId = row.MessageId, ConversionMetricId = metricId };
                db.CampaignReportRows.Add(stored);
                existing.Add(stored);
            }
            stored.Recipients = Count(row, "recipients");
            stored.Delivered = Count(row, "delivered");
            stored.UniqueOpens = Count(row, "opens_unique");
            stored.UniqueClicks = Count(row, "clicks_unique");
            stored.UniqueConversions = Count(row, "conversion_uniques");
            stored.ConversionValue = Value(row, "conversion_value");
            stored.ConversionMetricId = metricId;
            stored.FetchedAt = now;
        }

        foreach (var schedule in schedules)
        {
            schedule.LastFetchedAt = now;
            schedule.Fetches++;
            schedule.LastError = null;
            schedule.NextDueAt = ReportSchedule.NextDue(schedule.SentAt, now);
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    // Klaviyo answers null (NaN here) for a statistic it cannot compute; counts arrive as whole numbers in doubles.
    private static long Count(KlaviyoCampaignValues row, string statistic) =>
        row.Statistics.TryGetValue(statistic, out var value) && double.IsFinite(value) ? (long)Math.Round(value) : 0;

    private static double Value(KlaviyoCampaignValues row, string statistic) =>
        row.Statistics.TryGetValue(statistic, out var value) && double.IsFinite(value) ? value : 0;
}
