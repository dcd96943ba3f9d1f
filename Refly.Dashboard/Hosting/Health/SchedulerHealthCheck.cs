using Microsoft.Extensions.Diagnostics.HealthChecks;
using Quartz;

namespace Refly.Dashboard.Hosting.Health;

/// <summary>The in-process Quartz scheduler (syncs, tag polling, personalization runs) is running.</summary>
internal sealed class SchedulerHealthCheck(ISchedulerFactory schedulerFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
        var status = await scheduler.GetStatus(cancellationToken);
        var data = new Dictionary<string, object> { ["status"] = status.ToString() };
        return status == SchedulerStatus.Running
            ? HealthCheckResult.Healthy("Scheduler running", data)
            : HealthCheckResult.Unhealthy($"Scheduler {status}", data: data);
    }
}
