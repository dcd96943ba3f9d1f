using Quartz;

namespace Refly.Core.Impact.Holdouts;

/// <summary>
/// An on-demand holdout read (the results' refresh): fires <see cref="HoldoutRefreshJob"/> now for one campaign, so the
/// request returns at once while the events (minutes for a large send) are read in the background.
/// </summary>
public sealed class HoldoutRefreshTrigger(ISchedulerFactory schedulers)
{
    /// <summary>Queues a read of the campaign's holdout events; a campaign without a holdout run reads nothing.</summary>
    public async Task FireAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignKlaviyoId);
        var scheduler = await schedulers.GetScheduler(cancellationToken);
        await scheduler.TriggerJob(HoldoutRefreshJob.Key, new JobDataMap { [HoldoutRefreshJob.CampaignIdKey] = campaignKlaviyoId }, cancellationToken);
    }
}
