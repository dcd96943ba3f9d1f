using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Refly.Core.Leases;
using Refly.Core.Notifications;
using Refly.Core.Observability;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// The only writer of <see cref="PersonalizationRun"/> rows. Every change is made under one lock, re-reading the
/// row first, so a cancel and a checkpoint can never overwrite each other; state changes go through
/// <see cref="RunStateMachine"/>, are recorded as <see cref="RunEvent"/>s and published to the notifier.
/// </summary>
/// <remarks>
/// While this instance executes a run (it holds the run's lease, see <see cref="RunLease"/>), every write to the run
/// (state, checkpoint, counts, events) is fenced by that lease in the write's transaction: once another instance took the
/// run over, the write throws <see cref="LeaseLostException"/> and changes nothing.
/// </remarks>
public sealed class RunStore(
    IDbContextFactory<ReflyDbContext> contextFactory,
    LeaseManager leases,
    IChangeNotifier notifier,
    TimeProvider time,
    ReflyMetrics metrics,
    ILogger<RunStore> logger)
{
    private static readonly RunState[] _anyState = Enum.GetValues<RunState>();
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<PersonalizationRun?> GetAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Runs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
    }

    /// <summary>
    /// The originals snapshotted by the campaign's most recent earlier runs, per message id. A message still switched
    /// by an earlier run must be restored to these, never to its switched content.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MessageSnapshot>> LatestOriginalsAsync(int campaignId, Guid excludingRunId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var runs = await db.Runs.AsNoTracking()
            .Where(r => r.CampaignId == campaignId && r.Id != excludingRunId)
            .OrderByDescending(r => r.CreatedAt)
            .Take(20)
            .ToListAsync(cancellationToken);
        var originals = new Dictionary<string, MessageSnapshot>(StringComparer.Ordinal);
        foreach (var snapshot in runs.SelectMany(r => r.Originals))
        {
            originals.TryAdd(snapshot.MessageId, snapshot);
        }
        return originals;
    }

    /// <summary>Adds a new run (the caller has validated it) with its "started" event.</summary>
    public async Task AddAsync(PersonalizationRun run, string message, string? actor, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
            db.Runs.Add(run);
            db.RunEvents.Add(NewEvent(run.Id, "Started", message, actor));
            await db.SaveChangesAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
        notifier.Publish(new RunChanged(run.Id, run.CampaignKlaviyoId, run));
    }

    /// <summary>
    /// Moves the run from <paramref name="from"/> to <paramref name="to"/> if it is still in <paramref name="from"/>,
    /// applying <paramref name="change"/> in the same write. Returns the updated run, or null when the run is gone or
    /// no longer in <paramref name="from"/> (someone else moved it first).
    /// </summary>
    /// <exception cref="InvalidRunTransitionException">The state machine forbids the move.</exception>
    public Task<PersonalizationRun?> TransitionAsync(
        Guid runId,
        RunState from,
        RunState to,
        string message,
        string? actor = null,
        Action<PersonalizationRun>? change = null,
        CancellationToken cancellationToken = default)
    {
        RunStateMachine.EnsureCanTransition(from, to);
        return TransitionCoreAsync(runId, from, to, message, actor, change, cancellationToken);
    }

    private async Task<PersonalizationRun?> TransitionCoreAsync(
        Guid runId, RunState from, RunState to, string message, string? actor, Action<PersonalizationRun>? change, CancellationToken cancellationToken)
    {
        var run = await UpdateCoreAsync(runId, cancellationToken, (run, db) =>
        {
            if (run.State != from)
            {
                return false;
            }
            run.State = to;
            var now = time.GetUtcNow();
            if (to == RunState.InProgress)
            {
                run.StartedAt ??= now;
            }
            if (to is RunState.Completed or RunState.Failed or RunState.Cancelled)
            {
                run.FinishedAt = now;
            }
            change?.Invoke(run);
            db.RunEvents.Add(NewEvent(runId, to.ToString(), message, actor));
            logger.LogInformation("Run {RunId} of campaign {CampaignId}: {From} -> {To}: {Message}", runId, run.CampaignKlaviyoId, from, to, message);
            return true;
        });
        // Counted after the write is saved, so a transition lost to a concurrent one is never counted.
        if (run is not null && RunStateMachine.IsTerminal(to))
        {
            metrics.RunFinished(to, run.FinishedAt - run.StartedAt);
        }
        return run;
    }

    /// <summary>
    /// Saves progress (counters, checkpoint, snapshot flags) while the run is in one of <paramref name="states"/>.
    /// Returns the updated run, or null when its state moved on (e.g. to Cancelling) and nothing was written.
    /// </summary>
    public Task<PersonalizationRun?> UpdateAsync(
        Guid runId,
        IReadOnlyCollection<RunState> states,
        Action<PersonalizationRun> change,
        CancellationToken cancellationToken) =>
        UpdateAsync(runId, states, change, writeAlongside: null, cancellationToken);

    /// <summary>
    /// Like <see cref="UpdateAsync(Guid, IReadOnlyCollection{RunState}, Action{PersonalizationRun}, CancellationToken)"/>,
    /// with <paramref name="writeAlongside"/> (e.g. marking the batch's contacts written) run on the same connection in
    /// the same transaction: the checkpoint and those rows are saved together or not at all, so a failed write (database
    /// locked, disk full) can never leave contacts counted without the checkpoint that covers them, or the reverse.
    /// </summary>
    public Task<PersonalizationRun?> UpdateAsync(
        Guid runId,
        IReadOnlyCollection<RunState> states,
        Action<PersonalizationRun> change,
        Func<ReflyDbContext, CancellationToken, Task>? writeAlongside,
        CancellationToken cancellationToken) =>
        UpdateCoreAsync(runId, cancellationToken, (run, _) =>
        {
            if (!states.Contains(run.State))
            {
                return false;
            }
            change(run);
            return true;
        }, writeAlongside);

    /// <summary>
    /// The run's <see cref="RevertRecord"/> for <see cref="CampaignEditor"/>, kept in its checkpoint in any state (a
    /// cancel may arrive mid-edit, and the campaign must be scheduled again all the same).
    /// </summary>
    public RevertRecord RevertRecordFor(PersonalizationRun run) =>
        new(run.Checkpoint.CampaignReverted, async (reverted, cancellationToken) =>
            await UpdateAsync(run.Id, _anyState, r => r.Checkpoint.CampaignReverted = reverted, cancellationToken));

    /// <summary>Adds an audit event without changing the run.</summary>
    public async Task AddEventAsync(Guid runId, string kind, string message, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await leases.BeginFencedAsync(db, RunLease.NameFor(runId), cancellationToken);
        db.RunEvents.Add(NewEvent(runId, kind, message, actor: null));
        await db.SaveChangesAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

    private async Task<PersonalizationRun?> UpdateCoreAsync(
        Guid runId,
        CancellationToken cancellationToken,
        Func<PersonalizationRun, ReflyDbContext, bool> apply,
        Func<ReflyDbContext, CancellationToken, Task>? writeAlongside = null)
    {
        PersonalizationRun? run;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
            // Microsoft.Data.Sqlite begins IMMEDIATE: the write lock is taken (waiting busy_timeout) before the read, so
            // a concurrent writer, in this process or another, can never make the read stale; disposing without commit
            // rolls everything back.
            // Always a transaction: another instance on the database (a marketer's cancel there, the run's owner here)
            // must not change the row between this read and the write.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            // Checked under the write lock: no other instance can take the lease between this check and the commit.
            await leases.EnsureHeldAsync(db, RunLease.NameFor(runId), cancellationToken);
            run = await db.Runs.FirstOrDefaultAsync(r => r.Id == runId, cancellationToken);
            if (run is null || !apply(run, db))
            {
                return null;
            }
            if (writeAlongside is not null)
            {
                await writeAlongside(db, cancellationToken);
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
        notifier.Publish(new RunChanged(run.Id, run.CampaignKlaviyoId, run));
        return run;
    }

    private RunEvent NewEvent(Guid runId, string kind, string message, string? actor) =>
        new() { RunId = runId, At = time.GetUtcNow(), Kind = kind, Message = message, Actor = actor };
}
