using Microsoft.EntityFrameworkCore;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>A run as the dashboard and the automation API show it: state, counts, throughput and ETA.</summary>
public sealed record RunView(
    Guid RunId,
    string CampaignId,
    RunState State,
    RunTrigger Trigger,
    string? StartedBy,
    IReadOnlyList<string> MessageIds,
    long? Total,
    long Processed,
    long Written,
    long Failed,
    long FellBack,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    string? StopReason,
    double? Coverage,
    double? ContactsPerSecond,
    DateTimeOffset? Eta,
    bool? FinishesBeforeSendTime)
{
    public bool IsActive => RunStateMachine.IsActive(State);

    /// <summary>
    /// A Completed run whose campaign (still Draft or Scheduled) changed content or send time since the run started
    /// (see <see cref="ContentFingerprint"/>): the personalization is stale. Set by <see cref="RunQueryService.LatestByCampaignAsync"/>.
    /// </summary>
    public bool IsStale { get; init; }

    /// <summary>
    /// False while an active run's <see cref="Eta"/> is still settling (its first <see cref="RunEstimate.SettleTime"/>
    /// of measured progress): pages say "estimating" instead of a time that swings. True for a run that is not active.
    /// </summary>
    public bool IsEtaSettled { get; init; } = true;

    /// <summary>Contacts held out as the control group: recorded, never written.</summary>
    public long HeldOut { get; init; }

    /// <summary>The share of the audience the run holds out (0 for no holdout).</summary>
    public double HoldoutShare { get; init; }

    /// <summary>Where the run's content came from (model, rule-based, original); null while runs do not record it.</summary>
    public RunSourceSplit? SourceSplit { get; init; }

    /// <summary>The run's personalizer, split, model calls, tokens and cost; null for a run that recorded none.</summary>
    public RunPersonalizationView? Personalization { get; init; }

    /// <summary>Done share of the total (written, or held out on purpose), 0..100; null while the total is unknown.</summary>
    public double? Percent => Total is > 0 ? Math.Min(100.0, 100.0 * (Written + HeldOut) / Total.Value) : null;
}

/// <summary>Reads runs for the UI and the API; both show the same numbers because both use this.</summary>
public sealed class RunQueryService(
    IDbContextFactory<ReflyDbContext> contextFactory,
    TimeProvider time,
    ExpectedThroughput throughput,
    Microsoft.Extensions.Options.IOptionsMonitor<LlmPersonalizerOptions>? prices = null)
{
    /// <summary><paramref name="view"/> with the run's personalization stats, when it has any.</summary>
    private RunView WithStats(RunView view, IReadOnlyDictionary<Guid, RunPersonalizationStats> stats) =>
        stats.TryGetValue(view.RunId, out var s)
            ? view with { SourceSplit = s.SourceSplit, Personalization = RunPersonalizationView.From(s, prices?.CurrentValue) }
            : view;

    private static async Task<IReadOnlyDictionary<Guid, RunPersonalizationStats>> StatsAsync(ReflyDbContext db, IReadOnlyCollection<Guid> runIds, CancellationToken cancellationToken)
    {
        var ids = runIds.ToList();
        return ids.Count == 0
            ? new Dictionary<Guid, RunPersonalizationStats>()
            : await db.Set<RunPersonalizationStats>().AsNoTracking().Where(s => ids.Contains(s.RunId)).ToDictionaryAsync(s => s.RunId, cancellationToken);
    }

    public async Task<RunView?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
        return run is null ? null : WithStats(ToView(run), await StatsAsync(db, [run.Id], cancellationToken));
    }

    /// <summary>The latest run of each of these campaigns (by Klaviyo campaign id).</summary>
    public async Task<IReadOnlyDictionary<string, RunView>> LatestByCampaignAsync(IReadOnlyCollection<string> campaignIds, CancellationToken cancellationToken)
    {
        if (campaignIds.Count == 0)
        {
            return new Dictionary<string, RunView>();
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var ids = campaignIds.ToList();
        var runs = await db.Runs.AsNoTracking()
            .Where(r => ids.Contains(r.CampaignKlaviyoId))
            .GroupBy(r => r.CampaignKlaviyoId)
            .Select(g => g.OrderByDescending(r => r.CreatedAt).First())
            .ToListAsync(cancellationToken);
        var completed = runs.Where(r => r.State == RunState.Completed && r.Originals.Count > 0).Select(r => r.CampaignId).ToList();
        var campaigns = completed.Count == 0
            ? []
            : await db.Campaigns.AsNoTracking().Include(c => c.Messages).Where(c => completed.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
        var stats = await StatsAsync(db, runs.Select(r => r.Id).ToList(), cancellationToken);
        return runs.ToDictionary(
            r => r.CampaignKlaviyoId,
            r => WithStats(ToView(r), stats) with { IsStale = campaigns.TryGetValue(r.CampaignId, out var campaign) && IsStale(r, campaign) },
            StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether the campaign's content or send time changed since this Completed run started; our own switch is not a change,
    /// nor is a Draft's planned datetime.
    /// </summary>
    public static bool IsStale(PersonalizationRun run, Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentNullException.ThrowIfNull(campaign);
        if (run.State != RunState.Completed || run.Originals.Count == 0 || !PersonalizationEligibility.IsEligibleStatus(campaign.Status))
        {
            return false;
        }
        var originals = run.Originals.ToDictionary(o => o.MessageId, StringComparer.Ordinal);
        // The send time is a deadline only for a scheduled send: a run on a Draft covered everyone whatever the Draft's
        // planned datetime, and a campaign back to Draft has none. So it counts only when the run and the campaign both
        // had one; then a moved send time may leave contacts a stopped run did not reach.
        var withSendTime = run.SendTime is not null && SendTimeCheck.DeadlineOf(campaign.Status, campaign.SendTime) is not null;
        return ContentFingerprint.OfRun(run, withSendTime) != ContentFingerprint.OfCampaign(campaign, run.MessageIds, originals, withSendTime);
    }

    /// <summary>
    /// Every run of the campaign (by Klaviyo campaign id), newest first: the campaign's run history, including runs a
    /// later run replaced in the table (a cancelled tag run, a failed run that was retried).
    /// </summary>
    public async Task<IReadOnlyList<RunView>> HistoryAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaignId);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var runs = await db.Runs.AsNoTracking().Where(r => r.CampaignKlaviyoId == campaignId).ToListAsync(cancellationToken);
        // Ordered here: SQLite cannot order by a DateTimeOffset column.
        var stats = await StatsAsync(db, runs.Select(r => r.Id).ToList(), cancellationToken);
        return runs.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Select(r => WithStats(ToView(r), stats)).ToList();
    }

    /// <summary>The run's audit trail, oldest first.</summary>
    public async Task<IReadOnlyList<RunEvent>> EventsAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync(cancellationToken);
    }

    public RunView ToView(PersonalizationRun run)
    {
        double? rate = null;
        DateTimeOffset? eta = null;
        bool? inTime = null;
        var settled = true;
        if (run.State is RunState.Queued or RunState.InProgress && run.TotalEstimate is { } total)
        {
            var now = time.GetUtcNow();
            var elapsed = run.StartedAt is { } started ? now - started : TimeSpan.Zero;
            var done = Math.Min(run.Written + run.Failed + run.HeldOut, total);
            var sinceStart = elapsed < TimeSpan.Zero ? TimeSpan.Zero : elapsed;
            var estimate = RunEstimate.ComputeSmoothed(total, done, sinceStart, throughput.ContactsPerSecond, now, run.SendTime);
            rate = estimate.IsMeasured ? estimate.ContactsPerSecond : null;
            eta = estimate.EstimatedCompletion;
            inTime = estimate.FinishesBeforeDeadline;
            settled = RunEstimate.IsSettled(done, sinceStart);
        }
        else if (run.StartedAt is { } started && run.FinishedAt is { } finished && finished > started)
        {
            rate = (run.Written + run.Failed + run.HeldOut) / (finished - started).TotalSeconds;
        }

        return new RunView(run.Id, run.CampaignKlaviyoId, run.State, run.Trigger, run.StartedBy, run.MessageIds, run.TotalEstimate,
            run.Processed, run.Written, run.Failed, run.FellBack, run.CreatedAt, run.StartedAt, run.FinishedAt, run.Error, run.StopReason,
            run.State == RunState.Completed ? run.Coverage : null, rate, eta, inTime)
        {
            IsEtaSettled = settled,
            HeldOut = run.HeldOut,
            HoldoutShare = run.HoldoutShare,
        };
    }
}
