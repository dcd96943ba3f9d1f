using Microsoft.Extensions.DependencyInjection;

namespace Refly.Core.Personalization;

public static class PlanningServiceCollectionExtensions
{
    /// <summary>Plans that meet the send time: the run's personalizer (hybrid, llm, rule-based), its stats and the estimates.</summary>
    public static IServiceCollection AddPersonalizationPlanning(this IServiceCollection services)
    {
        services.AddSingleton<RunPersonalizerFactory>();
        services.AddSingleton<RunPersonalizationStatsStore>();
        services.AddSingleton<ModelRatesSource>();
        services.AddSingleton<PlanChoicesService>();
        return services;
    }
}
