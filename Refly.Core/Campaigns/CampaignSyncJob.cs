using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;

namespace Refly.Core.Campaigns;

/// <summary>
/// Quartz job: one campaign sync. Fires at start-up and then every <c>Klaviyo:SyncInterval</c>, in one instance among
/// all on the database (the one holding the <see cref="LeaseName"/> lease; the others read what it stores).
/// </summary>
[DisallowConcurrentExecution]
public sealed class CampaignSyncJob(CampaignSyncService sync, LeaseManager leases, IHostApplicationLifetime lifetime, ILogger<CampaignSyncJob> logger) : IJob
{
    /// <summary>The lease of the instance that syncs.</summary>
    public const string LeaseName = "campaign-sync";

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
            if (!await leases.HoldAsync(LeaseName, stop.Token))
            {
                logger.LogDebug("Campaign sync skipped: another instance syncs");
                return;
            }
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
