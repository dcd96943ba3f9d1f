using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Refly.Core.Settings;

/// <summary>How a feature registers its stored-settings sections (from its own <c>AddXyz</c>).</summary>
public static class SettingsSectionServiceCollectionExtensions
{
    /// <summary>
    /// Registers <typeparamref name="TSection"/> (a singleton) as one of the sections <see cref="SettingsService"/> loads.
    /// Without <c>AddSettings</c> nothing is ever saved and configuration applies as it is.
    /// </summary>
    public static IServiceCollection AddSettingsSection<TSection>(this IServiceCollection services)
        where TSection : class, ISettingsSection
    {
        services.TryAddSingleton<RuntimeSettings>();
        if (services.Any(d => d.ServiceType == typeof(TSection)))
        {
            return services;
        }
        services.AddSingleton<TSection>();
        services.AddSingleton<ISettingsSection>(provider => provider.GetRequiredService<TSection>());
        return services;
    }

    /// <summary>
    /// Applies saved values over what configuration bound to <typeparamref name="TOptions"/> (a post-configure step, so
    /// it runs after every <c>Bind</c>), and refreshes its <see cref="IOptionsMonitor{TOptions}"/> on every save.
    /// <paramref name="apply"/> leaves an option alone when its key has no saved value.
    /// </summary>
    public static IServiceCollection AddStoredSettingsOverride<TOptions>(this IServiceCollection services, Action<RuntimeSettings, TOptions> apply)
        where TOptions : class
    {
        services.TryAddSingleton<RuntimeSettings>();
        services.AddSingleton<IPostConfigureOptions<TOptions>>(provider => new StoredSettingsOverride<TOptions>(provider.GetRequiredService<RuntimeSettings>(), apply));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<TOptions>, RuntimeSettingsChangeTokenSource<TOptions>>());
        return services;
    }

    private sealed class StoredSettingsOverride<TOptions>(RuntimeSettings saved, Action<RuntimeSettings, TOptions> apply) : IPostConfigureOptions<TOptions>
        where TOptions : class
    {
        public void PostConfigure(string? name, TOptions options) => apply(saved, options);
    }
}
