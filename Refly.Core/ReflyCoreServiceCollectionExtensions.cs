using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Notifications;
using Refly.Core.Observability;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.Core.Triggers;

namespace Refly.Core;

public static class ReflyCoreServiceCollectionExtensions
{
    /// <summary>Everything Core offers: persistence, the Klaviyo client, campaigns, personalization, the tag trigger, notifications, metrics (meter <c>Refly</c>) and the in-process Quartz scheduler.</summary>
    public static IServiceCollection AddReflyCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<IChangeNotifier, ChangeNotifier>();
        services.AddMetrics();
        services.TryAddSingleton<ReflyMetrics>();
        services.AddPersistence(configuration);
        services.AddLeases(configuration);
        services.AddKlaviyo(configuration);
        services.AddCampaigns(configuration);
        services.AddPersonalization(configuration);
        services.AddTriggers(configuration);
        services.AddImpact(configuration);
        services.AddHoldouts(configuration);
        services.AddQuartzHostedService(options =>
        {
            // Shutdown lets in-flight jobs reach their next checkpoint instead of killing them mid-batch.
            options.WaitForJobsToComplete = true;
        });
        return services;
    }
}
