using FluentValidation;
using FluentValidation.Results;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>The outcome of a start or cancel request: the run, or why it was refused.</summary>
public sealed record RunCommandResult(PersonalizationRun? Run, IReadOnlyList<ValidationFailure> Errors)
{
    public bool Succeeded => Errors.Count == 0;

    /// <summary>The first refusal's error code (see <see cref="StartRunErrors"/>), null when it succeeded.</summary>
    public string? ErrorCode => Errors.Count > 0 ? Errors[0].ErrorCode : null;

    public string? ErrorMessage => Errors.Count > 0 ? string.Join(" ", Errors.Select(e => e.ErrorMessage).Distinct()) : null;
}

/// <summary>Starts and cancels personalization runs; used alike by the dashboard, the automation API and the tag trigger.</summary>
public sealed class PersonalizationRunService(
    IDbContextFactory<ReflyDbContext> contextFactory,
    IValidator<StartRunContext> validator,
    RunStore store,
    RunScheduler scheduler,
    RunCancellation cancellation,
    RunPersonalizerFactory personalizers,
    RunPersonalizationStatsStore personalizationStats,
    ApprovedCopyStore approvedCopy,
    CampaignBriefStore briefs,
    TimeProvider time,
    ILogger<PersonalizationRunService> logger)
{
    public const string CancelNotActive = "NoActiveRun";

    private readonly SemaphoreSlim _startGate = new(1, 1);

    /// <summary>Validates and starts a run: persisted Queued, then its job is scheduled.</summary>
    public async Task<RunCommandResult> StartAsync(StartRunRequest request, CancellationToken cancellationToken)
    {
        // One start at a time, so two concurrent starts cannot both pass the "no active run" check.
        await _startGate.WaitAsync(cancellationToken);
        PersonalizationRun run;
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
            var campaign = await db.Campaigns.AsNoTracking().Include(c => c.Messages)
                .FirstOrDefaultAsync(c => c.KlaviyoId == request.CampaignId, cancellationToken);
            var active = campaign is null ? null : await db.Runs.AsNoTracking().Active().FirstOrDefaultAsync(r => r.CampaignId == campaign.Id, cancellationToken);
            var sendTime = campaign is null ? new SendTimeCheck(time).Check(null) : new SendTimeCheck(time).Check(campaign.Status, campaign.SendTime);
            var context = new StartRunContext(request, campaign, active, sendTime);
            var validation = await validator.ValidateAsync(context, cancellationToken);
            if (!validation.IsValid)
            {
                logger.LogInformation("Run for campaign {CampaignId} refused: {Reason}", request.CampaignId, validation.Errors[0].ErrorMessage);
                return new RunCommandResult(null, validation.Errors);
            }
            var personalizer = request.Personalizer ?? personalizers.DefaultFor(SendTimeCheck.DeadlineOf(campaign!.Status, campaign.SendTime));
            if (personalizer != PersonalizerNames.RuleBased && !personalizers.ModelAvailable)
            {
                return Refused(StartRunErrors.NoModel,
                    $"The '{personalizer}' personalizer needs a model: set the LLM endpoint and model in Settings, or use 'rule-based'.");
            }

            // The brief is fixed on the run: a resume writes with the brief the run began with.
            var brief = request.Brief is { } given
                ? await briefs.SaveAsync(campaign!.KlaviyoId, given, request.StartedBy, cancellationToken)
                : await briefs.FindAsync(campaign!.KlaviyoId, cancellationToken);

            run = new PersonalizationRun
            {
                Id = Guid.NewGuid(),
                CampaignId = campaign!.Id,
                CampaignKlaviyoId = campaign.KlaviyoId,
                MessageIds = request.MessageIds.Distinct(StringComparer.Ordinal).ToList(),
                Trigger = request.Trigger,
                StartedBy = request.StartedBy,
                State = RunState.Queued,
                CreatedAt = time.GetUtcNow(),
                // A Draft's planned datetime is no deadline: the run neither stops at it nor warns against it.
                SendTime = SendTimeCheck.DeadlineOf(campaign.Status, campaign.SendTime),
                Brief = brief is null || brief.IsEmpty ? null : brief,
                HoldoutShare = request.HoldoutShare,
            };
            // Before the run exists: a crash in between leaves copy nobody reads, never a run without the approved copy.
            await approvedCopy.CopyToRunAsync(campaign.KlaviyoId, run.Id, cancellationToken);
            var who = request.Trigger == RunTrigger.Tag ? $"the Klaviyo tag '{request.StartedBy}'" : request.StartedBy ?? "a marketer";
            var holdout = run.HoldoutShare > 0 ? $", {run.HoldoutShare:P0} held out as a control" : "";
            await store.AddAsync(run, $"Started by {who} for {run.MessageIds.Count} message(s){holdout}", request.StartedBy, cancellationToken);
            await personalizationStats.InitAsync(run.Id, personalizer, cancellationToken);
        }
        finally
        {
            _startGate.Release();
        }

        await scheduler.ScheduleAsync(run.Id, cancellationToken);
        return new RunCommandResult(run, []);
    }

    /// <summary>Cancels the campaign's active run (by Klaviyo campaign id).</summary>
    public async Task<RunCommandResult> CancelCampaignAsync(string campaignId, string? cancelledBy, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.Runs.AsNoTracking().Active()
            .Where(r => r.CampaignKlaviyoId == campaignId)
            .OrderByDescending(r => r.CreatedAt)
            .FirstOrDefaultAsync(cancellationToken);
        return run is null
            ? Refused(CancelNotActive, "No personalization run is active for this campaign.")
            : await CancelAsync(run.Id, cancelledBy, cancellationToken);
    }

    /// <summary>
    /// Moves the run to Cancelling at once (persisted and published) and signals its job; the job stops in-flight
    /// work, restores the originals and ends Cancelled. Cancelling an already cancelling run is accepted.
    /// </summary>
    public async Task<RunCommandResult> CancelAsync(Guid runId, string? cancelledBy, CancellationToken cancellationToken)
    {
        var run = await store.GetAsync(runId, cancellationToken);
        if (run is null)
        {
            return Refused(CancelNotActive, "No such personalization run.");
        }
        if (run.State == RunState.Cancelling)
        {
            return new RunCommandResult(run, []);
        }
        if (!RunStateMachine.CanTransition(run.State, RunState.Cancelling))
        {
            return Refused(CancelNotActive, $"The run is already {PersonalizationEligibility.StateText(run.State)}; there is nothing to cancel.");
        }

        var updated = await store.TransitionAsync(runId, run.State, RunState.Cancelling, $"Cancel requested by {cancelledBy ?? "a marketer"}", cancelledBy, cancellationToken: cancellationToken);
        if (updated is null)
        {
            // It moved on meanwhile (e.g. it just completed): report what it is now.
            return await CancelAsync(runId, cancelledBy, cancellationToken);
        }
        if (!cancellation.Signal(runId))
        {
            // No job is executing it here (queued, or the app restarted): a job does the clean-up.
            await scheduler.ScheduleAsync(runId, cancellationToken);
        }
        return new RunCommandResult(updated, []);
    }

    private static RunCommandResult Refused(string code, string message) =>
        new(null, [new ValidationFailure(string.Empty, message) { ErrorCode = code }]);
}
