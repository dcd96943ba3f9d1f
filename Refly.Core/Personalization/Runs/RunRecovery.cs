using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Leases;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// Schedules a job for every unfinished run (Queued, InProgress, Cancelling, or Failed without clean-up) that no instance
/// holds: at start-up, so that after a restart or a kill -9 each resumes from its last checkpoint, and then every
/// <see cref="LeaseOptions.RenewInterval"/>, so that a run whose instance died (its lease expired) or stopped (it released
/// the lease) is taken over by this one. A run whose lease another instance holds is left to it.
/// </summary>
public sealed partial class RunRecovery(
    IDbContextFactory<ReflyDbContext> contextFactory,
    RunScheduler scheduler,
    IOptionsMonitor<LeaseOptions> leaseOptions,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<RunRecovery> logger) : BackgroundService
{
    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RecoverAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken hostStopping)
    {
        // Stops when the application starts stopping, before the scheduler shuts down: nothing is scheduled into it then.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(hostStopping, lifetime.ApplicationStopping);
        var stoppingToken = stopping.Token;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(leaseOptions.CurrentValue.RenewInterval, time, stoppingToken);
                await RecoverAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (DatabaseFault.Describe(ex) is { } cause)
            {
                LogScanFailed(logger, cause);
            }
        }
    }

    /// <summary>Schedules every unfinished run whose lease is free, released or expired and that is not already scheduled here; returns how many.</summary>
    public async Task<int> RecoverAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var unfinished = await db.Runs.AsNoTracking().NeedingWork()
            .OrderBy(r => r.CreatedAt)
            .Select(r => new { r.Id, r.State, r.CampaignKlaviyoId })
            .ToListAsync(cancellationToken);
        if (unfinished.Count == 0)
        {
            return 0;
        }
        var names = unfinished.Select(r => RunLease.NameFor(r.Id)).ToList();
        var now = time.GetUtcNow();
        var held = (await db.Leases.AsNoTracking()
                .Where(l => names.Contains(l.Name) && l.ExpiresAt > now)
                .Select(l => l.Name)
                .ToListAsync(cancellationToken))
            .ToHashSet(StringComparer.Ordinal);

        var scheduled = 0;
        foreach (var run in unfinished.Where(r => !held.Contains(RunLease.NameFor(r.Id))))
        {
            // Already waiting for its job here (just started, or a retry after a database error or a failed clean-up).
            if (await scheduler.IsScheduledAsync(run.Id, cancellationToken))
            {
                continue;
            }
            LogResuming(logger, run.Id, run.CampaignKlaviyoId, run.State);
            await scheduler.ScheduleAsync(run.Id, cancellationToken);
            scheduled++;
        }
        return scheduled;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming run {RunId} of campaign {CampaignId} ({State}) after restart: no instance holds it")]
    private static partial void LogResuming(ILogger logger, Guid runId, string campaignId, RunState state);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Looking for runs to resume failed ({Cause}); trying again at the next interval")]
    private static partial void LogScanFailed(ILogger logger, string cause);
}
