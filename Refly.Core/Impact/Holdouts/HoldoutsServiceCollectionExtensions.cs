using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Quartz;
using Refly.Core.Common;

namespace Refly.Core.Impact.Holdouts;

public static class HoldoutsServiceCollectionExtensions
{
    /// <summary>
    /// Holdouts: the events reader and its store, the scheduled reads (Quartz, every <c>Impact:Holdouts:CheckInterval</c>)
    /// and the <see cref="IHoldoutImpactSource"/> the impact feature shows (replacing its null default, in either order).
    /// </summary>
    public static IServiceCollection AddHoldouts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HoldoutOptions>().Bind(configuration.GetSection(HoldoutOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton<HoldoutEventStore>();
        services.TryAddSingleton<HoldoutEventsReader>();
        services.TryAddSingleton<StoredHoldoutImpactSource>();
        services.TryAddSingleton<HoldoutRefreshTrigger>();
        services.RemoveAll<IHoldoutImpactSource>();
        services.AddSingleton<IHoldoutImpactSource>(sp => sp.GetRequiredService<StoredHoldoutImpactSource>());
        services.AddQuartz(quartz => quartz.AddJob<HoldoutRefreshJob>(job => job.WithIdentity(HoldoutRefreshJob.Key).StoreDurably()));
        services.AddIntervalJob(new IntervalJob<HoldoutOptions>(
            HoldoutRefreshJob.Key, HoldoutRefreshJob.TriggerKey, "Impact:Holdouts:CheckInterval", FireAtStart: false, o => o.CheckInterval));
        return services;
    }
}
