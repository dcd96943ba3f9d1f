using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Klaviyo;

namespace Refly.Core.Campaigns;

/// <summary>Quartz job: one campaign sync. Fires at start-up and then every <c>Klaviyo:SyncInterval</c>.</summary>
[DisallowConcurrentExecution]
public sealed class CampaignSyncJob(CampaignSyncService sync, IHostApplicationLifetime lifetime, ILogger<CampaignSyncJob> logger) : IJob
{
    public static readonly JobKey Key = new("campaign-sync", "campaigns");

    /// <summary>The repeating trigger that fires the job every sync interval.</summary>
    public static readonly TriggerKey TriggerKey = new("campaign-sync-interval", "campaigns");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        // Quartz waits for running jobs at shutdown without cancelling them; a sync stuck in Klaviyo retries would
        // otherwise hold a `systemctl stop` for the whole shutdown timeout.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            await sync.SyncAsync(stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            logger.LogInformation("Campaign sync interrupted by shutdown");
        }
        catch (KlaviyoException ex)
        {
            // Recorded on SyncStatus for the dashboard; the next interval tries again.
            logger.LogWarning("Campaign sync failed: {Reason}", ex.Message);
        }
    }
}
