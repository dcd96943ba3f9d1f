using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Refly.Core.Impact.Reporting;
using Refly.Core.Settings;

namespace Refly.Core.Impact;

public static class ImpactServiceCollectionExtensions
{
    /// <summary>Measuring whether personalization worked: the conversion metric, the lift, reports and holdouts.</summary>
    public static IServiceCollection AddImpact(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ImpactOptions>().Bind(configuration.GetSection(ImpactOptions.Section));
        services.TryAddTransient<ConversionMetricResolver>();
        services.TryAddSingleton<IHoldoutImpactSource, NoHoldoutImpact>();
        services.AddSettingsSection<ConversionMetricSettings>().AddStoredSettingsOverride<ImpactOptions>(ConversionMetricSettings.Apply);
        services.AddImpactReporting(configuration);
        services.TryAddSingleton<CampaignImpactService>();
        return services;
    }

    /// <summary>Until the holdout feature registers its source: no run holds anyone out.</summary>
    private sealed class NoHoldoutImpact : IHoldoutImpactSource
    {
        public Task<HoldoutImpact?> GetAsync(string campaignKlaviyoId, CancellationToken cancellationToken) => Task.FromResult<HoldoutImpact?>(null);
    }
}
