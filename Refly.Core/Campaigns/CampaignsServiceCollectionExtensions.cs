using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Refly.Core.Common;
using Refly.Core.Klaviyo;
using Refly.Core.Settings;

namespace Refly.Core.Campaigns;

public static class CampaignsServiceCollectionExtensions
{
    /// <summary>
    /// Campaign sync (Quartz job at start-up and every <c>Klaviyo:SyncInterval</c>, rescheduled when it changes, also from
    /// the <see cref="CampaignSyncSettings"/> section of the settings saved in the UI) and campaign queries.
    /// </summary>
    public static IServiceCollection AddCampaigns(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<SyncStatus>();
        services.AddSingleton<CampaignSyncService>();
        services.AddSingleton<CampaignQueryService>();
        services.AddSettingsSection<CampaignSyncSettings>().AddStoredSettingsOverride<KlaviyoOptions>(CampaignSyncSettings.Apply);
        services.AddQuartz(quartz => quartz.AddJob<CampaignSyncJob>(job => job.WithIdentity(CampaignSyncJob.Key).StoreDurably()));
        // Scheduled once the host's configuration is final (tests and operators may override the interval after
        // registration): a first sync right away, then every interval; rescheduled when it is changed in Settings.
        services.AddIntervalJob(new IntervalJob<KlaviyoOptions>(
            CampaignSyncJob.Key, CampaignSyncJob.TriggerKey, "Klaviyo:SyncInterval", FireAtStart: true, o => o.SyncInterval));
        return services;
    }
}
