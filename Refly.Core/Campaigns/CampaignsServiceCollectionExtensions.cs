using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace Refly.Core.Campaigns;

public static class CampaignsServiceCollectionExtensions
{
    /// <summary>Campaign sync (Quartz job at start-up and every <c>Klaviyo:SyncInterval</c>) and campaign queries.</summary>
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
    /// after registration): a first sync right away, then every interval.
    /// </summary>
    private sealed class CampaignSyncScheduler(ISchedulerFactory schedulerFactory, IConfiguration configuration) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var interval = configuration.GetValue<TimeSpan?>("Klaviyo:SyncInterval") ?? TimeSpan.FromMinutes(1);
            if (interval < TimeSpan.FromSeconds(1))
            {
                throw new InvalidOperationException($"Klaviyo:SyncInterval must be at least one second (it is {interval}).");
            }

            var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
            var trigger = TriggerBuilder.Create()
                .ForJob(CampaignSyncJob.Key)
                .WithIdentity("campaign-sync-interval", "campaigns")
                .StartNow()
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever())
                .Build();
            await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
