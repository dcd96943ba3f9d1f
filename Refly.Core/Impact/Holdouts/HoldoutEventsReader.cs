using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Persistence;

namespace Refly.Core.Impact.Holdouts;

/// <summary>
/// Reads a Sent campaign's email and conversion events from Klaviyo (get_events, the send window, pages of 1,000 at the
/// client's pace), keeps those of the holdout run's messages (orders through <c>$attributed_message</c>), streams them
/// into SQLite and stores the personalized vs control comparison. Reads resume where the last one stopped, so the
/// schedule's reads (2 h, 24 h, 72 h, 7 days after the send) and on-demand refreshes only fetch what is new.
/// </summary>
public sealed class HoldoutEventsReader(
    IKlaviyoClient klaviyo,
    IDbContextFactory<ReflyDbContext> contextFactory,
    HoldoutEventStore events,
    IOptionsMonitor<ImpactOptions> impactOptions,
    IOptionsMonitor<HoldoutOptions> options,
    TimeProvider time,
    ILogger<HoldoutEventsReader> logger)
{
    /// <summary>Klaviyo's email metric names (integration Klaviyo).</summary>
    public const string ReceivedEmail = "Received Email";

    /// <inheritdoc cref="ReceivedEmail"/>
    public const string OpenedEmail = "Opened Email";

    /// <inheritdoc cref="ReceivedEmail"/>
    public const string ClickedEmail = "Clicked Email";

    // One read at a time in this process: two refreshes of one campaign would read the same window twice.
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Reads the campaign's new events and recomputes its holdout result (the latest Completed run that held contacts
    /// out). Null when there is nothing to measure: no such run, or the campaign is not Sent.
    /// </summary>
    public async Task<HoldoutImpact?> RefreshAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignKlaviyoId);
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var target = await FindTargetAsync(campaignKlaviyoId, cancellationToken);
            return target is null ? null : await RefreshRunAsync(target.Value.Run, target.Value.SendTime, cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Refreshes every campaign whose scheduled read is due (the job's work). Returns how many were read.</summary>
    public async Task<int> RefreshDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var first = options.CurrentValue.RefreshAfterSend.DefaultIfEmpty(TimeSpan.Zero).Min();
        List<string> due;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            var candidates = await (
                    from run in db.Runs.AsNoTracking()
                    join campaign in db.Campaigns.AsNoTracking() on run.CampaignId equals campaign.Id
                    where run.State == RunState.Completed && run.HeldOut > 0 && campaign.Status == CampaignStatus.Sent && campaign.SendTime != null
                    join result in db.HoldoutResults.AsNoTracking() on run.Id equals result.RunId into results
                    from result in results.DefaultIfEmpty()
                    select new { run.CampaignKlaviyoId, SendTime = campaign.SendTime!.Value, Result = result })
                .ToListAsync(cancellationToken);
            due = candidates
                .Where(c => c.Result is null ? c.SendTime + first <= now : c.Result.NextRefreshAt is { } next && next <= now)
                .Select(c => c.CampaignKlaviyoId)
                .Distinct(StringComparer.Ordinal)
                .ToList();
        }
        var read = 0;
        foreach (var campaignId in due)
        {
            try
            {
                if (await RefreshAsync(campaignId, cancellationToken) is not null)
                {
                    read++;
                }
            }
            catch (KlaviyoException ex)
            {
                // The next check tries again; other campaigns still get their read.
                logger.LogWarning("Holdout events of campaign {CampaignId} could not be read: {Reason}", campaignId, ex.Message);
            }
        }
        return read;
    }

    private async Task<(PersonalizationRun Run, DateTimeOffset SendTime)?> FindTargetAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var campaign = await db.Campaigns.AsNoTracking().FirstOrDefaultAsync(c => c.KlaviyoId == campaignKlaviyoId, cancellationToken);
        if (campaign is not { Status: CampaignStatus.Sent, SendTime: { } sendTime })
        {
            return null;
        }
        var run = await db.Runs.AsNoTracking()
            .Where(r => r.CampaignKlaviyoId == campaignKlaviyoId && r.State == RunState.Completed && r.HeldOut > 0)
            .OrderByDescending(r => r.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        return run is null ? null : (run, sendTime);
    }

    private async Task<HoldoutImpact> RefreshRunAsync(PersonalizationRun run, DateTimeOffset sendTime, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var now = time.GetUtcNow();
        var windowEnd = sendTime + settings.EventWindow;
        // Whole seconds, as Klaviyo's datetime filter: consecutive windows [from, until) stay disjoint and gapless.
        var end = now < windowEnd ? now : windowEnd;
        var until = new DateTimeOffset(end.UtcTicks - (end.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            if (await db.HoldoutResults.FindAsync([run.Id], cancellationToken) is null)
            {
                db.HoldoutResults.Add(new HoldoutResult { RunId = run.Id, CampaignKlaviyoId = run.CampaignKlaviyoId, SendTime = sendTime });
                await db.SaveChangesAsync(cancellationToken);
            }
        }

        var state = await GetResultAsync(run.Id, cancellationToken);
        var from = state.ReadUntil ?? sendTime;
        var stored = state.EventsStored;
        if (until > from)
        {
            // Anything a crashed read left past the last complete window is read again, not counted twice.
            await events.DeleteFromAsync(run.Id, from, cancellationToken);
            stored = await CountStoredAsync(run.Id, cancellationToken);
            stored += await ReadWindowAsync(run, from, until, cancellationToken);
        }

        var impact = await events.ComputeAsync(run.Id, sendTime, until, settings.TimelineBucket, cancellationToken);
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            var result = await db.HoldoutResults.FirstAsync(r => r.RunId == run.Id, cancellationToken);
            result.SendTime = sendTime;
            result.ReadUntil = until > from ? until : result.ReadUntil ?? from;
            result.EventsStored = stored;
            result.ComputedAt = now;
            result.NextRefreshAt = until >= windowEnd ? null : settings.NextRefresh(sendTime, now);
            result.ResultJson = StoredHoldoutNumbers.Serialize(impact);
            await db.SaveChangesAsync(cancellationToken);
        }
        logger.LogInformation(
            "Holdout of campaign {CampaignId}: {Personalized} personalized and {Control} control recipients, events read until {Until:u}",
            run.CampaignKlaviyoId, impact.Personalized.Recipients, impact.Control.Recipients, until);
        return impact;
    }

    private async Task<HoldoutResult> GetResultAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.HoldoutResults.AsNoTracking().FirstAsync(r => r.RunId == runId, cancellationToken);
    }

    private async Task<long> CountStoredAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.HoldoutEvents.LongCountAsync(e => e.RunId == runId, cancellationToken);
    }

    /// <summary>Streams each metric's events of [from, until) into SQLite; returns how many were kept.</summary>
    private async Task<long> ReadWindowAsync(PersonalizationRun run, DateTimeOffset from, DateTimeOffset until, CancellationToken cancellationToken)
    {
        var metrics = await klaviyo.GetMetricsAsync(cancellationToken);
        var conversion = ConversionMetricResolver.Pick(metrics, impactOptions.CurrentValue);
        var kinds = new List<(KlaviyoMetric Metric, HoldoutEventKind Kind)>();
        foreach (var (name, kind) in new[] { (ReceivedEmail, HoldoutEventKind.Received), (OpenedEmail, HoldoutEventKind.Opened), (ClickedEmail, HoldoutEventKind.Clicked) })
        {
            var metric = EmailMetric(metrics, name) ?? throw new KlaviyoException($"The Klaviyo account has no \"{name}\" metric; the holdout cannot be measured.");
            kinds.Add((metric, kind));
        }
        if (conversion is not null)
        {
            kinds.Add((conversion, HoldoutEventKind.Converted));
        }
        else
        {
            logger.LogWarning("No conversion metric in the account (configured or \"Placed Order\"): the holdout reports no conversions");
        }

        var messages = run.MessageIds.ToHashSet(StringComparer.Ordinal);
        var batchSize = options.CurrentValue.InsertBatchSize;
        var kept = 0L;
        foreach (var (metric, kind) in kinds)
        {
            var batch = new List<HoldoutEventRow>(batchSize + KlaviyoClient.MaxEventsPageSize);
            var query = new KlaviyoEventQuery(metric.Id, from, until);
            // The next page is on its way while this one is written: Klaviyo's pace and SQLite's writes overlap.
            Task<KlaviyoPage<KlaviyoEvent>>? next = klaviyo.GetEventsPageAsync(query, null, cancellationToken);
            try
            {
                while (next is not null)
                {
                    var page = await next;
                    next = page.NextCursor is { } cursor ? klaviyo.GetEventsPageAsync(query, cursor, cancellationToken) : null;
                    foreach (var e in page.Items)
                    {
                        var message = kind == HoldoutEventKind.Converted ? e.AttributedMessageId : e.MessageId;
                        if (e.ProfileId is { } profile && message is not null && messages.Contains(message))
                        {
                            batch.Add(new HoldoutEventRow(profile, kind, e.Datetime, kind == HoldoutEventKind.Converted ? (double)(e.Value ?? 0m) : 0));
                        }
                    }
                    if (batch.Count >= batchSize || next is null)
                    {
                        await events.InsertAsync(run.Id, batch, cancellationToken);
                        kept += batch.Count;
                        batch.Clear();
                    }
                }
            }
            finally
            {
                if (next is not null)
                {
                    // A failed insert leaves the next page in flight: it is awaited (its outcome no longer matters), never orphaned.
                    await ((Task)next).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
        }
        return kept;
    }

    /// <summary>The email metric by name, Klaviyo's own first (another integration may use the same name).</summary>
    private static KlaviyoMetric? EmailMetric(IReadOnlyList<KlaviyoMetric> metrics, string name) =>
        metrics.Where(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(m => string.Equals(m.IntegrationName, "Klaviyo", StringComparison.OrdinalIgnoreCase))
            .FirstOrDefault();
}
