using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;
using Refly.Core.Common;
using Refly.Core.Settings;

namespace Refly.Core.Triggers;

public static class TriggersServiceCollectionExtensions
{
    /// <summary>
    /// The automatic flow: <see cref="TriggerOptions"/> (section "Triggers", validated at start), the <see cref="TagPoller"/>
    /// and its Quartz job, first fired one interval after start-up and then every <see cref="TriggerOptions.PollInterval"/>
    /// (rescheduled when that changes at run time), and the <see cref="TriggerSettings"/> section of the settings saved in the UI.
    /// </summary>
    public static IServiceCollection AddTriggers(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TriggerOptions>()
            .BindConfiguration(TriggerOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.TagName), "Triggers:TagName must not be empty.")
            .Validate(o => o.PollInterval >= TimeSpan.FromSeconds(1), "Triggers:PollInterval must be at least one second.")
            .Validate(o => o.MaxCampaignRefreshesPerPoll >= 0, "Triggers:MaxCampaignRefreshesPerPoll must not be negative.")
            .ValidateOnStart();
        services.AddSettingsSection<TriggerSettings>().AddStoredSettingsOverride<TriggerOptions>(TriggerSettings.Apply);
        services.AddSingleton<TagPoller>();
        services.AddQuartz(quartz => quartz.AddJob<TagPollJob>(job => job.WithIdentity(TagPollJob.Key).StoreDurably()));
        // The first poll waits one interval: at start-up the campaign sync has not run yet, and every campaign would
        // otherwise be fetched one by one. Rescheduled when the interval is changed in Settings.
        services.AddIntervalJob(new IntervalJob<TriggerOptions>(
            TagPollJob.Key, TagPollJob.TriggerKey, "Triggers:PollInterval", FireAtStart: false, o => o.PollInterval));
        return services;
    }
}
