using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;
using Refly.Core.Common;

namespace Refly.Core.Impact.Reporting;

public static class ReportingServiceCollectionExtensions
{
    /// <summary>
    /// Klaviyo's campaign values reports: the daily budget, the one report queue, its Quartz job (at start-up, every
    /// <c>Impact:Reporting:DrainInterval</c>, after each campaign sync) and the on-demand trigger.
    /// </summary>
    public static IServiceCollection AddImpactReporting(this IServiceCollection services, IConfiguration configuration)
    {
        if (services.Any(d => d.ServiceType == typeof(CampaignReportQueue)))
        {
            return services;
        }
        services.AddOptions<ReportingOptions>().Bind(configuration.GetSection(ReportingOptions.Section)).Validate(
            o => o.DailyQueryBudget is >= 0 and <= ReportingOptions.KlaviyoDailyLimit && o.DrainInterval >= TimeSpan.FromSeconds(1)
                && o.RetryAfterFailure > TimeSpan.Zero && o.QueryTimeout > TimeSpan.Zero,
            $"Impact:Reporting: DailyQueryBudget must be 0 to {ReportingOptions.KlaviyoDailyLimit} (Klaviyo's daily limit), DrainInterval at least a second, RetryAfterFailure and QueryTimeout positive.")
            .ValidateOnStart();
        services.AddSingleton<ReportingBudget>();
        services.AddSingleton<CampaignReportQueue>();
        services.AddSingleton<CampaignReportTrigger>();
        services.AddHostedService(sp => sp.GetRequiredService<CampaignReportTrigger>());
        services.AddQuartz(quartz => quartz.AddJob<CampaignReportJob>(job => job.WithIdentity(CampaignReportJob.Key).StoreDurably()));
        services.AddIntervalJob(new IntervalJob<ReportingOptions>(
            CampaignReportJob.Key, CampaignReportJob.TriggerKey, "Impact:Reporting:DrainInterval", FireAtStart: true, o => o.DrainInterval));
        return services;
    }
}
