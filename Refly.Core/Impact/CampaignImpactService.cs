using Microsoft.EntityFrameworkCore;
using Refly.Core.Campaigns;
using Refly.Core.Impact.Reporting;
using Refly.Core.Personalization;
using Refly.Core.Persistence;

namespace Refly.Core.Impact;

/// <summary>Whether a campaign has results to show.</summary>
public enum CampaignImpactState
{
    /// <summary>No such campaign has been synced.</summary>
    NotFound,

    /// <summary>The campaign is not Sent: there is nothing to measure yet.</summary>
    NotSent,

    /// <summary>Sent, but no report has been read yet (see <see cref="CampaignImpactResult.NextFetchAt"/>).</summary>
    Pending,

    /// <summary>Results are stored (see <see cref="CampaignImpactResult.Impact"/>).</summary>
    Ready,
}

/// <summary>A campaign's results, or why there are none yet.</summary>
/// <param name="State">Whether there are results.</param>
/// <param name="Impact">The results when <see cref="CampaignImpactState.Ready"/>.</param>
/// <param name="SentAt">The campaign's send time, when Sent.</param>
/// <param name="NextFetchAt">When Refly reads Klaviyo's report next (the schedule, or the daily budget); null when done.</param>
/// <param name="Message">What a page or the API says about it.</param>
public sealed record CampaignImpactResult(CampaignImpactState State, CampaignImpact? Impact, DateTimeOffset? SentAt, DateTimeOffset? NextFetchAt, string Message);

/// <summary>
/// Did personalization work for a campaign: the stored report numbers per campaign message, each marked personalized
/// when a run of the campaign personalized it (completed, or written and never rolled back) or when it was sent still
/// looking up Refly's properties, with the holdout
/// comparison from <see cref="IHoldoutImpactSource"/> and when the numbers are read again.
/// </summary>
public sealed class CampaignImpactService(
    IDbContextFactory<ReflyDbContext> contextFactory, IHoldoutImpactSource holdouts, ReportingBudget budget, TimeProvider time)
{
    /// <summary>The campaign's results, or why there are none.</summary>
    public async Task<CampaignImpactResult> GetAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignKlaviyoId);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Messages).FirstOrDefaultAsync(c => c.KlaviyoId == campaignKlaviyoId, cancellationToken);
        if (campaign is null)
        {
            return new CampaignImpactResult(CampaignImpactState.NotFound, null, null, null, $"No campaign with id '{campaignKlaviyoId}' has been synced from Klaviyo.");
        }
        if (campaign.Status != CampaignStatus.Sent || campaign.SendTime is not { } sentAt)
        {
            return new CampaignImpactResult(CampaignImpactState.NotSent, null, null, null,
                $"The campaign is {campaign.Status}, not Sent: results are read from Klaviyo after the send.");
        }

        var loaded = await LoadAsync(db, [campaignKlaviyoId], cancellationToken);
        var nextFetch = await NextFetchAsync(loaded.Schedules.GetValueOrDefault(campaignKlaviyoId), sentAt, cancellationToken);
        var rows = loaded.Rows.GetValueOrDefault(campaignKlaviyoId) ?? [];
        if (rows.Count == 0)
        {
            var when = nextFetch is { } at ? $" (next fetch at {at:yyyy-MM-dd HH:mm} UTC)" : "";
            return new CampaignImpactResult(CampaignImpactState.Pending, null, sentAt, nextFetch,
                $"No results yet{when}: they arrive about {ReportSchedule.FirstStep.TotalHours:0} hours after the send.");
        }

        var holdout = await holdouts.GetAsync(campaignKlaviyoId, cancellationToken);
        var impact = ToImpact(campaign, rows, loaded.Personalized.GetValueOrDefault(campaignKlaviyoId) ?? [], holdout, nextFetch);
        return new CampaignImpactResult(CampaignImpactState.Ready, impact, sentAt, nextFetch, $"Results as of {impact.FetchedAt:yyyy-MM-dd HH:mm} UTC.");
    }

    /// <summary>
    /// The results of those of <paramref name="campaignKlaviyoIds"/> that have stored report numbers (the campaigns
    /// table's lift column): one query for the rows, one for the runs.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, CampaignImpact>> GetManyAsync(IReadOnlyCollection<string> campaignKlaviyoIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaignKlaviyoIds);
        if (campaignKlaviyoIds.Count == 0)
        {
            return new Dictionary<string, CampaignImpact>();
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var loaded = await LoadAsync(db, campaignKlaviyoIds, cancellationToken);
        var ids = loaded.Rows.Keys.ToList();
        var campaigns = await db.Campaigns.AsNoTracking().Include(c => c.Messages)
            .Where(c => ids.Contains(c.KlaviyoId) && c.Status == CampaignStatus.Sent).ToListAsync(cancellationToken);
        var result = new Dictionary<string, CampaignImpact>(StringComparer.Ordinal);
        foreach (var campaign in campaigns)
        {
            var holdout = await holdouts.GetAsync(campaign.KlaviyoId, cancellationToken);
            var schedule = loaded.Schedules.GetValueOrDefault(campaign.KlaviyoId);
            result[campaign.KlaviyoId] = ToImpact(campaign, loaded.Rows[campaign.KlaviyoId], loaded.Personalized.GetValueOrDefault(campaign.KlaviyoId) ?? [], holdout, schedule?.NextDueAt);
        }
        return result;
    }

    /// <summary>
    /// The messages a run personalized that the recipients received: a Completed run's, or a run's that wrote
    /// contacts and whose content was never restored (it was still switched at the send).
    /// </summary>
    public static bool PersonalizedTheSend(PersonalizationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.State == RunState.Completed || (run.Written > 0 && run.ContentSwitched && !run.CleanedUp);
    }

    private static CampaignImpact ToImpact(Campaign campaign, List<CampaignReportRow> rows, HashSet<string> personalized, HoldoutImpact? holdout, DateTimeOffset? nextFetch)
    {
        var order = campaign.Messages.Select((m, i) => (m.KlaviyoId, i)).ToDictionary(x => x.KlaviyoId, x => x.i, StringComparer.Ordinal);
        var messages = rows
            .OrderBy(r => order.GetValueOrDefault(r.MessageKlaviyoId, int.MaxValue)).ThenBy(r => r.MessageKlaviyoId, StringComparer.Ordinal)
            .Select(r =>
            {
                var message = campaign.Messages.FirstOrDefault(m => m.KlaviyoId == r.MessageKlaviyoId);
                var label = FirstNonEmpty(message?.Label, message?.Subject) ?? r.MessageKlaviyoId;
                return new MessageImpact(r.MessageKlaviyoId, label, personalized.Contains(r.MessageKlaviyoId) || SentSwitched(message), r.ToRates());
            })
            .ToList();
        return new CampaignImpact(campaign.KlaviyoId, messages, holdout, rows.Max(r => r.FetchedAt), nextFetch);
    }

    // The message went out still pointed at Refly's properties (a run this database does not hold, e.g. another
    // install or the demo's seeded campaign): its recipients got personalized content.
    private static bool SentSwitched(CampaignMessage? message) =>
        message is not null && (PersonalizedMarkup.IsSwitched(message.Subject) || PersonalizedMarkup.IsSwitched(message.PreviewText));

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));

    private async Task<DateTimeOffset?> NextFetchAsync(CampaignReportSchedule? schedule, DateTimeOffset sentAt, CancellationToken cancellationToken)
    {
        var next = schedule is null ? ReportSchedule.NextDue(sentAt, null) : schedule.NextDueAt;
        if (next is not { } due)
        {
            return null;
        }
        var now = time.GetUtcNow();
        var status = await budget.StatusAsync(cancellationToken);
        var allowed = status.Spent ? status.NextAllowedAt : now;
        // A step already past is read at the next drain: say "now" rather than a time gone by.
        return new[] { due, allowed, now }.Max();
    }

    private static async Task<Loaded> LoadAsync(ReflyDbContext db, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        var list = ids.ToList();
        var rows = await db.CampaignReportRows.AsNoTracking().Where(r => list.Contains(r.CampaignKlaviyoId)).ToListAsync(cancellationToken);
        var schedules = await db.CampaignReportSchedules.AsNoTracking().Where(s => list.Contains(s.CampaignKlaviyoId)).ToListAsync(cancellationToken);
        var withRows = rows.Select(r => r.CampaignKlaviyoId).Distinct().ToList();
        var runs = await db.Runs.AsNoTracking().Where(r => withRows.Contains(r.CampaignKlaviyoId)).ToListAsync(cancellationToken);
        return new Loaded(
            rows.GroupBy(r => r.CampaignKlaviyoId).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal),
            schedules.ToDictionary(s => s.CampaignKlaviyoId, StringComparer.Ordinal),
            runs.Where(PersonalizedTheSend).GroupBy(r => r.CampaignKlaviyoId)
                .ToDictionary(g => g.Key, g => g.SelectMany(r => r.MessageIds).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal));
    }

    private sealed record Loaded(
        Dictionary<string, List<CampaignReportRow>> Rows,
        Dictionary<string, CampaignReportSchedule> Schedules,
        Dictionary<string, HashSet<string>> Personalized);
}
