using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Quartz;

namespace Refly.Core.Triggers;

public static class TriggersServiceCollectionExtensions
{
    /// <summary>
    /// The automatic flow: <see cref="TriggerOptions"/> (section "Triggers", validated at start), the <see cref="TagPoller"/>
    /// and its Quartz job, first fired one interval after start-up and then every <see cref="TriggerOptions.PollInterval"/>.
    /// </summary>
    public static IServiceCollection AddTriggers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TriggerOptions>()
            .BindConfiguration(TriggerOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.TagName), "Triggers:TagName must not be empty.")
            .Validate(o => o.PollInterval >= TimeSpan.FromSeconds(1), "Triggers:PollInterval must be at least one second.")
            .Validate(o => o.MaxCampaignRefreshesPerPoll >= 0, "Triggers:MaxCampaignRefreshesPerPoll must not be negative.")
            .ValidateOnStart();
        services.AddSingleton<TagPoller>();
        services.AddQuartz(quartz => quartz.AddJob<TagPollJob>(job => job.WithIdentity(TagPollJob.Key).StoreDurably()));
        services.AddHostedService<TagPollScheduler>();
        return services;
    }

    /// <summary>
    /// Schedules the poll once the host's configuration is final. The first poll waits one interval: at start-up the
    /// campaign sync has not run yet, and every campaign would otherwise be fetched one by one.
    /// </summary>
    private sealed class TagPollScheduler(ISchedulerFactory schedulerFactory, IOptions<TriggerOptions> options, TimeProvider time) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var interval = options.Value.PollInterval;
            var scheduler = await schedulerFactory.GetScheduler(cancellationToken);
            var trigger = TriggerBuilder.Create()
                .ForJob(TagPollJob.Key)
                .WithIdentity("tag-poll-interval", "triggers")
                .StartAt(time.GetUtcNow() + interval)
                .WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever())
                .Build();
            await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, cancellationToken);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
