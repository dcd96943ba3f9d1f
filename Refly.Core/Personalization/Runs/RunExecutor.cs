using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// Carries a run forward from whatever state it is in: a Queued or InProgress run is (re)started from its checkpoint,
/// a Cancelling run is cleaned up and Cancelled, a Failed run whose clean-up did not finish is cleaned up. Called by
/// <see cref="PersonalizationRunJob"/>; safe to call again after a crash at any point.
/// </summary>
/// <remarks>
/// Klaviyo failures that outlast the client's bounded retries fail the run with a reason naming them, and clean-up
/// follows (tried again every <see cref="PersonalizationOptions.CleanupRetryDelay"/> until it finishes). A database
/// that cannot be written (locked past busy_timeout, disk full) pauses the run instead: nothing can be recorded while
/// it lasts, so the error is logged and the job tries again after <see cref="PersonalizationOptions.DatabaseRetryDelay"/>,
/// resuming from the last checkpoint. Every log entry of a run carries its RunId and CampaignId (log scope).
/// <para>
/// A run has one owner among every app instance on the database: its job first takes the run's lease
/// (<see cref="RunLease"/>) and does nothing while another instance holds it (<see cref="RunRecovery"/> tries again once it
/// expires). The lease is renewed while the job runs and released when it ends; every write is fenced by it, and an
/// instance that lost it (another took the run over) stops without writing. A run picked up from another instance (a
/// restart, a kill -9, a lease taken over) records "Resumed after restart" with the number of contacts written again.
/// </para>
/// </remarks>
public sealed partial class RunExecutor(
    RunStore store,
    RunCancellation cancellation,
    ContentSwitcher switcher,
    AudiencePipeline pipeline,
    PersonalizationPlanner planner,
    RunCleanup cleanup,
    IKlaviyoClient klaviyo,
    RunScheduler scheduler,
    LeaseManager leases,
    IOptions<PersonalizationOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<RunExecutor> logger)
{
    // Runs paused by a database error, with the cause and when: recorded on the run once the database is back.
    private readonly ConcurrentDictionary<Guid, (string Cause, DateTimeOffset Since)> _pausedByDatabase = new();

    private static readonly RunState[] _inProgress = [RunState.InProgress];
    private static readonly RunState[] _cancelling = [RunState.Cancelling];
    private static readonly RunState[] _failed = [RunState.Failed];

    public async Task ExecuteAsync(Guid runId, CancellationToken jobToken)
    {
        // Register before reading the state: see RunCancellation.
        using var registration = cancellation.Register(runId);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = runId });
        using var shutdownOrJob = CancellationTokenSource.CreateLinkedTokenSource(jobToken, lifetime.ApplicationStopping);

        var run = await store.GetAsync(runId, shutdownOrJob.Token);
        if (run is null || !RunQueries.NeedsWork(run))
        {
            return;
        }
        var campaignId = run.CampaignKlaviyoId;
        using var campaignScope = logger.BeginScope(new Dictionary<string, object> { ["CampaignId"] = campaignId });

        LeaseAttempt attempt;
        try
        {
            attempt = await leases.TryAcquireAsync(RunLease.NameFor(runId), shutdownOrJob.Token);
        }
        catch (Exception ex) when (DatabaseFault.Describe(ex) is { } cause && !shutdownOrJob.IsCancellationRequested)
        {
            LogPausedByDatabase(logger, ex, runId, campaignId, cause, options.Value.DatabaseRetryDelay);
            await scheduler.ScheduleAsync(runId, options.Value.DatabaseRetryDelay, CancellationToken.None);
            return;
        }
        if (attempt.Lease is not { } lease)
        {
            LogOwnedElsewhere(logger, runId, run.CampaignKlaviyoId, attempt.HeldBy ?? "unknown", attempt.HeldUntil ?? time.GetUtcNow());
            return;
        }

        var finished = false;
        try
        {
            using var owned = CancellationTokenSource.CreateLinkedTokenSource(shutdownOrJob.Token, lease.Lost);
            using var any = CancellationTokenSource.CreateLinkedTokenSource(owned.Token, registration.Token);
            // Read again under the lease: the previous owner may have moved the run on before it let go.
            run = await store.GetAsync(runId, owned.Token);
            if (run is null || !RunQueries.NeedsWork(run))
            {
                finished = true;
                return;
            }
            if (lease.ChangedHands || lease.PreviousOwner is null)
            {
                await RecordRestartAsync(run, owned.Token);
            }
            await ExecuteCoreAsync(run, registration.Token, shutdownOrJob, owned.Token, any.Token, lease);
            finished = (await store.GetAsync(runId, CancellationToken.None)) is { } after && !RunQueries.NeedsWork(after);
        }
        catch (Exception ex) when (ex is LeaseLostException || (ex is OperationCanceledException && lease.IsLost))
        {
            // Another instance carries the run now; whatever this one did not confirm, that one writes again.
            LogLeaseLost(logger, runId, campaignId);
        }
        catch (Exception ex) when (DatabaseFault.Describe(ex) is { } cause && !shutdownOrJob.IsCancellationRequested)
        {
            var delay = options.Value.DatabaseRetryDelay;
            _pausedByDatabase.TryAdd(runId, (cause, time.GetUtcNow()));
            LogPausedByDatabase(logger, ex, runId, campaignId, cause, delay);
            await scheduler.ScheduleAsync(runId, delay, CancellationToken.None);
        }
        finally
        {
            // A finished run's lease is deleted; otherwise released, so another instance (or a retry here) may take it at once.
            await leases.ReleaseAsync(lease, forget: finished, CancellationToken.None);
        }
    }

    /// <summary>
    /// The run was left unfinished by another instance (it was restarted, killed, or lost the lease): the contacts of
    /// its unconfirmed batches are written again, and the timeline says so.
    /// </summary>
    private async Task RecordRestartAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        if (run.State == RunState.InProgress)
        {
            var again = await pipeline.ForgetUnconfirmedAsync(run.Id, cancellationToken);
            await store.AddEventAsync(run.Id, "Resumed",
                $"Resumed after restart ({again} contact{(again == 1 ? "" : "s")} written again)", cancellationToken);
            LogResumedAfterRestart(logger, run.Id, run.CampaignKlaviyoId, again);
        }
        else if (run.State != RunState.Queued)
        {
            await store.AddEventAsync(run.Id, "Resumed", "Clean-up resumed after restart", cancellationToken);
            LogResumedAfterRestart(logger, run.Id, run.CampaignKlaviyoId, 0);
        }
    }

    private async Task ExecuteCoreAsync(
        PersonalizationRun current, CancellationToken cancelToken, CancellationTokenSource shutdownOrJob, CancellationToken ownedToken, CancellationToken anyToken, Lease lease)
    {
        var runId = current.Id;
        PersonalizationRun? run = current;
        if (_pausedByDatabase.TryGetValue(runId, out var pause))
        {
            await store.AddEventAsync(runId, "Resumed",
                $"Paused from {pause.Since:u} because {pause.Cause}; resumed from the last checkpoint", ownedToken);
            _pausedByDatabase.TryRemove(runId, out _);
            LogResumedAfterDatabase(logger, runId, run.CampaignKlaviyoId, pause.Cause);
        }

        if (run.State == RunState.Queued)
        {
            run = await store.TransitionAsync(runId, RunState.Queued, RunState.InProgress, "Personalization started", cancellationToken: ownedToken)
                ?? await store.GetAsync(runId, ownedToken);
        }

        if (run?.State == RunState.InProgress)
        {
            try
            {
                await PersonalizeAsync(run, anyToken);
            }
            catch (OperationCanceledException) when (lease.IsLost)
            {
                throw new LeaseLostException(lease.Name);
            }
            catch (OperationCanceledException) when (shutdownOrJob.IsCancellationRequested && !cancelToken.IsCancellationRequested)
            {
                logger.LogInformation("Run {RunId} of campaign {CampaignId} paused by shutdown; it resumes from its checkpoint on the next start", runId, run.CampaignKlaviyoId);
                return;
            }
            catch (OperationCanceledException) when (cancelToken.IsCancellationRequested)
            {
                logger.LogInformation("Run {RunId} of campaign {CampaignId}: cancel requested, stopping in-flight work", runId, run.CampaignKlaviyoId);
            }
            catch (Exception ex) when (DatabaseFault.Describe(ex) is null && ex is not LeaseLostException)
            {
                await FailAsync(run, ex, ownedToken);
            }
            run = await store.GetAsync(runId, ownedToken);
        }

        if (run?.State == RunState.Cancelling)
        {
            await CleanUpAsync(run, _cancelling, RunState.Cancelled, lease, ownedToken);
        }
        else if (run is { State: RunState.Failed, CleanedUp: false })
        {
            await CleanUpAsync(run, _failed, RunState.Failed, lease, ownedToken);
        }
    }

    private async Task PersonalizeAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        var campaign = await klaviyo.GetCampaignAsync(run.CampaignKlaviyoId, cancellationToken)
            ?? throw new CampaignGoneException(run.CampaignKlaviyoId);

        if (run.Originals.Count == 0)
        {
            var earlier = await store.LatestOriginalsAsync(run.CampaignId, run.Id, cancellationToken);
            var originals = await switcher.SnapshotAsync(run.CampaignKlaviyoId, run.MessageIds, earlier, cancellationToken);
            run = await store.UpdateAsync(run.Id, _inProgress, r => r.Originals = originals, cancellationToken).OrStopWhenNotInProgress();
            await store.AddEventAsync(run.Id, "Snapshot", $"Original content of {originals.Count} message(s) saved", cancellationToken);
        }

        if (!run.ContentSwitched)
        {
            var originals = run.Originals;
            run = await store.UpdateAsync(run.Id, _inProgress, r => r.Checkpoint.SwitchStarted = true, cancellationToken).OrStopWhenNotInProgress();
            // Switch early so whatever is written before the send time is used; defaults keep everyone else on the original.
            await switcher.SwitchAsync(run.CampaignKlaviyoId, originals, store.RevertRecordFor(run), cancellationToken);
            run = await store.UpdateAsync(run.Id, _inProgress, r =>
            {
                r.Originals = originals;
                r.ContentSwitched = true;
            }, cancellationToken).OrStopWhenNotInProgress();
            await store.AddEventAsync(run.Id, "Switched", "Messages now use the personalized content, with the original as the default", cancellationToken);
        }

        if (run.TotalEstimate is null)
        {
            var total = await planner.EstimateRecipientsAsync(campaign.Id, campaign.Audiences.Included, cancellationToken);
            run = await store.UpdateAsync(run.Id, _inProgress, r => r.TotalEstimate = total, cancellationToken).OrStopWhenNotInProgress();
        }

        var outcome = await pipeline.RunAsync(run, campaign.Name, campaign.Audiences, cancellationToken);
        var cleared = await cleanup.ClearHeldOutAsync(run, cancellationToken);
        if (cleared > 0)
        {
            await store.AddEventAsync(run.Id, "Holdout",
                $"{cleared:N0} held-out contact(s) still had an earlier run's properties for these messages; removed, so they see the original content", cancellationToken);
        }
        var message = outcome.ReachedEnd ? "Every contact of the audience was processed" : outcome.StopReason!;
        await store.TransitionAsync(run.Id, RunState.InProgress, RunState.Completed, message, change: r =>
        {
            r.StopReason = outcome.StopReason;
            if (outcome.ReachedEnd)
            {
                // The audience is now known exactly.
                r.TotalEstimate = r.Processed;
            }
        }, cancellationToken: CancellationToken.None);
    }

    private async Task FailAsync(PersonalizationRun run, Exception ex, CancellationToken cancellationToken)
    {
        var reason = FailureReason(ex);
        if (ex is KlaviyoException or CampaignGoneException or CampaignNotEditableException or CampaignRescheduleFailedException)
        {
            LogRunFailed(logger, ex is KlaviyoAuthenticationException ? null : ex, run.Id, run.CampaignKlaviyoId, reason);
        }
        else
        {
            logger.LogError(ex, "Run {RunId} of campaign {CampaignId} failed unexpectedly: {Reason}", run.Id, run.CampaignKlaviyoId, reason);
        }
        await store.TransitionAsync(run.Id, RunState.InProgress, RunState.Failed, reason, change: r => r.Error = reason, cancellationToken: cancellationToken);
    }

    /// <summary>The reason of a run that failed because Klaviyo refused the key (a key to check in Settings).</summary>
    public const string KlaviyoRejectedKeyReason = "Klaviyo rejected the API key: check the Klaviyo connection in Settings, then retry";

    /// <summary>The marketer-facing reason a run failed with <paramref name="ex"/>.</summary>
    internal static string FailureReason(Exception ex) => ex switch
    {
        KlaviyoAuthenticationException => KlaviyoRejectedKeyReason,
        CampaignGoneException gone => gone.Message,
        CampaignNotEditableException notEditable => notEditable.Message,
        CampaignRescheduleFailedException reschedule => reschedule.Message,
        // These messages already say what Klaviyo did and for how long Refly kept trying.
        KlaviyoServerException or KlaviyoResponseException or KlaviyoRateLimitException or KlaviyoUnreachableException => ex.Message,
        KlaviyoException klaviyoError => "Klaviyo error: " + klaviyoError.Message,
        _ => "Unexpected error: " + ex.Message,
    };

    private async Task CleanUpAsync(PersonalizationRun run, RunState[] states, RunState finalState, Lease lease, CancellationToken cancellationToken)
    {
        string? note;
        try
        {
            note = await cleanup.CleanUpAsync(run, states, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (lease.IsLost)
            {
                throw new LeaseLostException(lease.Name);
            }
            logger.LogInformation("Clean-up of run {RunId} of campaign {CampaignId} paused by shutdown; it resumes on the next start", run.Id, run.CampaignKlaviyoId);
            return;
        }
        catch (Exception ex) when (DatabaseFault.Describe(ex) is null && ex is not LeaseLostException)
        {
            var retryIn = options.Value.CleanupRetryDelay;
            var reason = ex is KlaviyoAuthenticationException
                ? "Klaviyo rejected the API key; clean-up will finish when a valid key is configured"
                : $"Clean-up could not finish: {ex.Message}";
            logger.LogWarning(ex, "Clean-up of run {RunId} of campaign {CampaignId} failed; trying again in {RetryIn}", run.Id, run.CampaignKlaviyoId, retryIn);
            if (run.State == RunState.Cancelling)
            {
                await store.TransitionAsync(run.Id, RunState.Cancelling, RunState.Failed, reason, change: r => r.Error = reason, cancellationToken: cancellationToken);
            }
            else
            {
                await store.UpdateAsync(run.Id, _failed, r => r.Error = $"{r.Error}. {reason}", cancellationToken);
            }
            // Queued, not left for the next restart: the clean-up finishes once Klaviyo (or the key) is back.
            await scheduler.ScheduleAsync(run.Id, retryIn, CancellationToken.None);
            return;
        }

        if (finalState == RunState.Cancelled)
        {
            await store.TransitionAsync(run.Id, RunState.Cancelling, RunState.Cancelled,
                note ?? "Cancelled: original content restored and the run's properties removed",
                change: r =>
                {
                    r.CleanedUp = true;
                    r.Error = note;
                }, cancellationToken: cancellationToken);
        }
        else
        {
            await store.UpdateAsync(run.Id, _failed, r =>
            {
                r.CleanedUp = true;
                if (note is not null)
                {
                    r.Error = $"{r.Error}. {note}";
                }
            }, cancellationToken);
            await store.AddEventAsync(run.Id, "CleanedUp", note ?? "Original content restored and the run's properties removed", cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Run {RunId} of campaign {CampaignId} paused: {Cause}. Nothing is lost; it resumes from its last checkpoint in {RetryIn}")]
    private static partial void LogPausedByDatabase(ILogger logger, Exception exception, Guid runId, string campaignId, string cause, TimeSpan retryIn);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} of campaign {CampaignId} resumed after a database error ({Cause})")]
    private static partial void LogResumedAfterDatabase(ILogger logger, Guid runId, string campaignId, string cause);

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Run {RunId} of campaign {CampaignId} is carried by another instance ({Owner}, lease until {HeldUntil:u}); this instance takes it over only if that lease expires")]
    private static partial void LogOwnedElsewhere(ILogger logger, Guid runId, string campaignId, string owner, DateTimeOffset heldUntil);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Run {RunId} of campaign {CampaignId}: another instance took the run's lease over; this instance stopped without writing")]
    private static partial void LogLeaseLost(ILogger logger, Guid runId, string campaignId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} of campaign {CampaignId} resumed after restart ({Again} contact(s) written again)")]
    private static partial void LogResumedAfterRestart(ILogger logger, Guid runId, string campaignId, int again);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} of campaign {CampaignId} failed: {Reason}")]
    private static partial void LogRunFailed(ILogger logger, Exception? exception, Guid runId, string campaignId, string reason);
}
