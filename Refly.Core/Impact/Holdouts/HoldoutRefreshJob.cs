using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Leases;

namespace Refly.Core.Impact.Holdouts;

/// <summary>
/// Quartz job: every <see cref="HoldoutOptions.CheckInterval"/>, reads the events of the Sent campaigns whose scheduled
/// holdout read (2 h, 24 h, 72 h, 7 days after the send) is due, in one instance among all on the database.
/// </summary>
[DisallowConcurrentExecution]
public sealed class HoldoutRefreshJob(HoldoutEventsReader reader, LeaseManager leases, IHostApplicationLifetime lifetime, ILogger<HoldoutRefreshJob> logger) : IJob
{
    /// <summary>The lease of the instance that reads.</summary>
    public const string LeaseName = "holdout-refresh";

    public static readonly JobKey Key = new("holdout-refresh", "impact");

    public static readonly TriggerKey TriggerKey = new("holdout-refresh-interval", "impact");

    /// <summary>Job data of an on-demand read (<see cref="HoldoutRefreshTrigger"/>): that campaign only, due or not.</summary>
    public const string CampaignIdKey = "campaignId";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        try
        {
            if (!await leases.HoldAsync(LeaseName, stop.Token))
            {
                logger.LogDebug("Holdout refresh skipped: another instance reads");
                return;
            }
            if (context.MergedJobDataMap.GetString(CampaignIdKey) is { Length: > 0 } campaignId)
            {
                await reader.RefreshAsync(campaignId, stop.Token);
                return;
            }
            var read = await reader.RefreshDueAsync(stop.Token);
            if (read > 0)
            {
                logger.LogInformation("Holdout refresh: {Count} campaign(s) read", read);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            logger.LogInformation("Holdout refresh interrupted by shutdown");
        }
        catch (Klaviyo.KlaviyoException ex)
        {
            // The schedule or the next refresh tries again.
            logger.LogWarning("Holdout refresh failed: {Reason}", ex.Message);
        }
    }
}
