using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Notifications;

namespace Refly.Core.Impact.Reporting;

/// <summary>
/// Quartz job: drains the report queue (every due Sent campaign's report). Fires at start-up, every
/// <c>Impact:Reporting:DrainInterval</c>, after each campaign sync that changed campaigns and on an on-demand refresh;
/// in one instance among all on the database (the holder of <see cref="LeaseName"/>).
/// </summary>
[DisallowConcurrentExecution]
public sealed class CampaignReportJob(CampaignReportQueue queue, LeaseManager leases, IHostApplicationLifetime lifetime, ILogger<CampaignReportJob> logger) : IJob
{
    /// <summary>The lease of the instance that reads reports.</summary>
    public const string LeaseName = "campaign-reports";

    public static readonly JobKey Key = new("campaign-reports", "impact");

    /// <summary>The repeating trigger.</summary>
    public static readonly TriggerKey TriggerKey = new("campaign-reports-interval", "impact");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            if (!await leases.HoldAsync(LeaseName, stop.Token))
            {
                logger.LogDebug("Campaign reports skipped: another instance reads them");
                return;
            }
            var result = await queue.DrainAsync(stop.Token);
            if (result.Queries > 0)
            {
                logger.LogInformation("Campaign reports: {Campaigns} campaigns read in {Queries} queries", result.Campaigns, result.Queries);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            logger.LogInformation("Campaign reports interrupted by shutdown");
        }
        catch (KlaviyoException ex)
        {
            // get_metrics failed (the report query's own failures are recorded on the schedules); the next fire retries.
            logger.LogWarning("Campaign reports failed: {Reason}", ex.Message);
        }
    }
}

/// <summary>Fires the report job after a campaign sync changed campaigns (one may have become Sent) and on demand.</summary>
public sealed class CampaignReportTrigger(ISchedulerFactory schedulers, IChangeNotifier notifier, ILogger<CampaignReportTrigger> logger) : IHostedService, IDisposable
{
    private IDisposable? _subscription;

    /// <summary>Runs the report job now (a no-op when it is already running: it drains whatever is due).</summary>
    public async Task FireAsync(CancellationToken cancellationToken)
    {
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.TriggerJob(CampaignReportJob.Key, cancellationToken);
    }

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = notifier.Subscribe(async change =>
        {
            if (change is CampaignsChanged)
            {
                try
                {
                    await FireAsync(CancellationToken.None);
                }
                catch (SchedulerException ex)
                {
                    logger.LogWarning("Campaign reports not triggered after the sync: {Reason}", ex.Message);
                }
            }
        });
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _subscription?.Dispose();
        _subscription = null;
    }
}
