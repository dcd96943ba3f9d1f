using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;
using Refly.Core.Common;
using Refly.Core.Klaviyo;

namespace Refly.Core.Campaigns;

public static class CampaignsServiceCollectionExtensions
{
    /// <summary>Campaign sync (Quartz job at start-up and every <c>Klaviyo:SyncInterval</c>, rescheduled when it changes) and campaign queries.</summary>
    public static IServiceCollection AddCampaigns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SyncStatus>();
        services.AddSingleton<CampaignSyncService>();
        services.AddSingleton<CampaignQueryService>();
        services.AddQuartz(quartz => quartz.AddJob<CampaignSyncJob>(job => job.WithIdentity(CampaignSyncJob.Key).StoreDurably()));
        services.AddHostedService<CampaignSyncScheduler>();
        return services;
    }

    /// <summary>
    /// Schedules the sync once the host's configuration is final (tests and operators may override the interval
    /// after registration): a first sync right away, then every interval; rescheduled when the interval is changed in Settings.
    /// </summary>
    private sealed class CampaignSyncScheduler(ISchedulerFactory schedulerFactory, IOptionsMonitor<KlaviyoOptions> options, TimeProvider time, ILogger<CampaignSyncScheduler> logger)
        : IntervalJobScheduler<KlaviyoOptions>(schedulerFactory, options, time, logger)
    {
        protected override JobKey Job => CampaignSyncJob.Key;

        protected override TriggerKey Trigger => CampaignSyncJob.TriggerKey;

        protected override string IntervalName => "Klaviyo:SyncInterval";

        protected override bool FireAtStart => true;

        protected override TimeSpan IntervalOf(KlaviyoOptions options) => options.SyncInterval;
    }
}
