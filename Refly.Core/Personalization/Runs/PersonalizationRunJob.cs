using Quartz;
using Refly.Core.Observability;

namespace Refly.Core.Personalization;

/// <summary>Quartz job carrying one run forward (see <see cref="RunExecutor"/>). One job key per run.</summary>
[DisallowConcurrentExecution]
public sealed class PersonalizationRunJob(RunExecutor executor) : IJob
{
    public const string Group = "personalization";
    public const string RunIdKey = "runId";

    public static JobKey KeyFor(Guid runId) => new($"run-{runId:N}", Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var runId = Guid.Parse(context.MergedJobDataMap.GetString(RunIdKey)!);
        // One span per job execution: a resumed run shows as a second span with the same run id.
        using var activity = ReflyMetrics.ActivitySource.StartActivity("personalization run");
        activity?.SetTag("refly.run.id", runId.ToString());
        await executor.ExecuteAsync(runId, cancellationToken);
    }
}

/// <summary>Schedules run jobs on the in-process Quartz scheduler.</summary>
public sealed class RunScheduler(ISchedulerFactory schedulerFactory, TimeProvider time)
{
    /// <summary>Runs the run's job now (or right after the one already running for it).</summary>
    public Task ScheduleAsync(Guid runId, CancellationToken cancellationToken) => ScheduleAsync(runId, TimeSpan.Zero, cancellationToken);

    /// <summary>
    /// Runs the run's job after <paramref name="delay"/>: a run paused by a database error, or a clean-up that could not
    /// finish, tries again in-process (a restart would too, through <see cref="RunRecovery"/>).
    /// </summary>
    public async Task ScheduleAsync(Guid runId, TimeSpan delay, CancellationToken cancellationToken)
    {
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        var job = JobBuilder.Create<PersonalizationRunJob>()
            .WithIdentity(PersonalizationRunJob.KeyFor(runId))
            .UsingJobData(PersonalizationRunJob.RunIdKey, runId.ToString())
            .StoreDurably()
            .Build();
        var trigger = TriggerBuilder.Create()
            .ForJob(job)
            .WithIdentity($"run-{runId:N}-{Guid.NewGuid():N}", PersonalizationRunJob.Group);
        trigger = delay > TimeSpan.Zero ? trigger.StartAt(time.GetUtcNow() + delay) : trigger.StartNow();
        await scheduler.ScheduleJob(job, trigger.Build(), new ScheduleJobOptions { Replace = true }, cancellationToken);
    }

    /// <summary>Whether the run's job has a trigger waiting to fire in this instance.</summary>
    public async Task<bool> IsScheduledAsync(Guid runId, CancellationToken cancellationToken)
    {
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        return (await scheduler.GetTriggersOfJob(PersonalizationRunJob.KeyFor(runId), cancellationToken)).Count > 0;
    }

}
