using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Klaviyo;

namespace Refly.Core.Campaigns;

/// <summary>Quartz job: one campaign sync. Fires at start-up and then every <c>Klaviyo:SyncInterval</c>.</summary>
[DisallowConcurrentExecution]
public sealed class CampaignSyncJob(CampaignSyncService sync, ILogger<CampaignSyncJob> logger) : IJob
{
    public static readonly JobKey Key = new("campaign-sync", "campaigns");

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            await sync.SyncAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
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
