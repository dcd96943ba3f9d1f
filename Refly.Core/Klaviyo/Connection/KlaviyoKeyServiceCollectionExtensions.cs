using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Refly.Core.Klaviyo;

public static class KlaviyoKeyServiceCollectionExtensions
{
    /// <summary>
    /// The Klaviyo key typed in Settings: "Test connection" (<see cref="KlaviyoConnectionTester"/>) and the save that
    /// checks the key with Klaviyo first (<see cref="KlaviyoKeyService"/>). Call after <c>AddSettings</c>, which stores it.
    /// </summary>
    public static IServiceCollection AddKlaviyoKeySettings(this IServiceCollection services)
    {
        services.TryAddSingleton<KlaviyoConnectionTester>();
        services.TryAddSingleton<KlaviyoKeyService>();
        return services;
    }
}
