using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// Carries a run forward from whatever state it is in: a Queued or InProgress run is (re)started from its checkpoint,
/// a Cancelling run is cleaned up and Cancelled, a Failed run whose clean-up did not finish is cleaned up. Called by
/// <see cref="PersonalizationRunJob"/>; safe to call again after a crash at any point.
/// </summary>
public sealed class RunExecutor(
    RunStore store,
    RunCancellation cancellation,
    ContentSwitcher switcher,
    AudiencePipeline pipeline,
    PersonalizationPlanner planner,
    RunCleanup cleanup,
    IKlaviyoClient klaviyo,
    IHostApplicationLifetime lifetime,
    ILogger<RunExecutor> logger)
{
    private static readonly RunState[] _inProgress = [RunState.InProgress];
    private static readonly RunState[] _cancelling = [RunState.Cancelling];
    private static readonly RunState[] _failed = [RunState.Failed];

    public async Task ExecuteAsync(Guid runId, CancellationToken jobToken)
    {
        // Register before reading the state: see RunCancellation.
        using var registration = cancellation.Register(runId);
        using var shutdownOrJob = CancellationTokenSource.CreateLinkedTokenSource(jobToken, lifetime.ApplicationStopping);
        using var any = CancellationTokenSource.CreateLinkedTokenSource(shutdownOrJob.Token, registration.Token);
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["RunId"] = runId });

        var run = await store.GetAsync(runId, shutdownOrJob.Token);
        if (run is null)
        {
            return;
        }
        using var campaignScope = logger.BeginScope(new Dictionary<string, object> { ["CampaignId"] = run.CampaignKlaviyoId });

        if (run.State == RunState.Queued)
        {
            run = await store.TransitionAsync(runId, RunState.Queued, RunState.InProgress, "Personalization started", cancellationToken: shutdownOrJob.Token)
                ?? await store.GetAsync(runId, shutdownOrJob.Token);
        }

        if (run?.State == RunState.InProgress)
        {
            try
            {
                await PersonalizeAsync(run, any.Token);
            }
            catch (OperationCanceledException) when (shutdownOrJob.IsCancellationRequested && !registration.Token.IsCancellationRequested)
            {
                logger.LogInformation("Run {RunId} paused by shutdown; it resumes from its checkpoint on the next start", runId);
                return;
            }
            catch (OperationCanceledException) when (registration.Token.IsCancellationRequested)
            {
                logger.LogInformation("Run {RunId}: cancel requested, stopping in-flight work", runId);
            }
            catch (Exception ex)
            {
                await FailAsync(runId, ex, shutdownOrJob.Token);
            }
            run = await store.GetAsync(runId, shutdownOrJob.Token);
        }

        if (run?.State == RunState.Cancelling)
        {
            await CleanUpAsync(run, _cancelling, RunState.Cancelled, shutdownOrJob.Token);
        }
        else if (run is { State: RunState.Failed, CleanedUp: false })
        {
            await CleanUpAsync(run, _failed, RunState.Failed, shutdownOrJob.Token);
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
            run = await store.UpdateAsync(run.Id, _inProgress, r => r.Originals = originals, cancellationToken) ?? throw new OperationCanceledException();
            await store.AddEventAsync(run.Id, "Snapshot", $"Original content of {originals.Count} message(s) saved", cancellationToken);
        }

        if (!run.ContentSwitched)
        {
            var originals = run.Originals;
            run = await store.UpdateAsync(run.Id, _inProgress, r => r.Checkpoint.SwitchStarted = true, cancellationToken) ?? throw new OperationCanceledException();
            // Switch early so whatever is written before the send time is used; defaults keep everyone else on the original.
            await switcher.SwitchAsync(run.CampaignKlaviyoId, originals, store.RevertRecordFor(run), cancellationToken);
            run = await store.UpdateAsync(run.Id, _inProgress, r =>
            {
                r.Originals = originals;
                r.ContentSwitched = true;
            }, cancellationToken) ?? throw new OperationCanceledException();
            await store.AddEventAsync(run.Id, "Switched", "Messages now use the personalized content, with the original as the default", cancellationToken);
        }

        if (run.TotalEstimate is null)
        {
            var total = await planner.EstimateRecipientsAsync(campaign.Id, campaign.Audiences.Included, cancellationToken);
            run = await store.UpdateAsync(run.Id, _inProgress, r => r.TotalEstimate = total, cancellationToken) ?? throw new OperationCanceledException();
        }

        var outcome = await pipeline.RunAsync(run, campaign.Name, campaign.Audiences, cancellationToken);
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

    private async Task FailAsync(Guid runId, Exception ex, CancellationToken cancellationToken)
    {
        var reason = ex switch
        {
            KlaviyoAuthenticationException => "Klaviyo rejected the API key",
            CampaignGoneException gone => gone.Message,
            CampaignNotEditableException notEditable => notEditable.Message,
            CampaignRescheduleFailedException reschedule => reschedule.Message,
            KlaviyoException klaviyoError => "Klaviyo error: " + klaviyoError.Message,
            _ => "Unexpected error: " + ex.Message,
        };
        if (ex is not (KlaviyoException or CampaignGoneException or CampaignNotEditableException))
        {
            logger.LogError(ex, "Run {RunId} failed", runId);
        }
        await store.TransitionAsync(runId, RunState.InProgress, RunState.Failed, reason, change: r => r.Error = reason, cancellationToken: cancellationToken);
    }

    private async Task CleanUpAsync(PersonalizationRun run, RunState[] states, RunState finalState, CancellationToken cancellationToken)
    {
        string? note;
        try
        {
            note = await cleanup.CleanUpAsync(run, states, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Clean-up of run {RunId} paused by shutdown; it resumes on the next start", run.Id);
            return;
        }
        catch (Exception ex)
        {
            var reason = ex is KlaviyoAuthenticationException
                ? "Klaviyo rejected the API key; clean-up will finish when a valid key is configured"
                : $"Clean-up could not finish: {ex.Message}";
            logger.LogWarning(ex, "Clean-up of run {RunId} failed", run.Id);
            if (run.State == RunState.Cancelling)
            {
                await store.TransitionAsync(run.Id, RunState.Cancelling, RunState.Failed, reason, change: r => r.Error = reason, cancellationToken: cancellationToken);
            }
            else
            {
                await store.UpdateAsync(run.Id, _failed, r => r.Error = $"{r.Error}. {reason}", cancellationToken);
            }
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
}
