using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// At start-up, schedules a job for every run the previous process left unfinished (Queued, InProgress, Cancelling,
/// or Failed without clean-up): after a restart or a kill -9 each resumes from its last checkpoint.
/// </summary>
public sealed class RunRecovery(
    IDbContextFactory<ReflyDbContext> contextFactory,
    RunScheduler scheduler,
    ILogger<RunRecovery> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.Runs.AsNoTracking()
            .Where(r => r.State == RunState.Queued || r.State == RunState.InProgress || r.State == RunState.Cancelling ||
                        (r.State == RunState.Failed && !r.CleanedUp))
            .OrderBy(r => r.CreatedAt)
            .Select(r => new { r.Id, r.State, r.CampaignKlaviyoId })
            .ToListAsync(cancellationToken);
        foreach (var run in unfinished)
        {
            logger.LogInformation("Resuming run {RunId} of campaign {CampaignId} ({State}) after restart", run.Id, run.CampaignKlaviyoId, run.State);
            await scheduler.ScheduleAsync(run.Id, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
