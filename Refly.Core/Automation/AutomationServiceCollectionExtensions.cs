using Microsoft.Extensions.DependencyInjection;

namespace Refly.Core.Automation;

public static class AutomationServiceCollectionExtensions
{
    /// <summary>The automation API tokens created in Settings (stored hashed in the accounts store).</summary>
    public static IServiceCollection AddAutomation(this IServiceCollection services)
    {
        services.AddSingleton<AutomationTokenService>();
        return services;
    }
}
