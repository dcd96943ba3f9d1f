using Microsoft.Extensions.Options;
using Refly.KlaviyoSandbox;
using Refly.ModelSandbox;

namespace Refly.Dashboard.Hosting;

/// <summary>Registers the built-in stand-ins that demo mode runs inside the app; the composition root decides when they start.</summary>
public static class StandInServiceCollectionExtensions
{
    /// <summary>The Klaviyo sandbox's configuration section (Port, RateLimitMultiplier, FaultRate, Latency, LatencyMilliseconds).</summary>
    public const string KlaviyoSandboxSection = "Sandbox";

    /// <summary>The model stand-in's configuration section (Port, Profile, TimeScale, ModelId).</summary>
    public const string ModelSandboxSection = "ModelSandbox";

    /// <summary>
    /// Registers <see cref="KlaviyoSandboxHost"/>, a hosted service that starts a <see cref="KlaviyoSandboxServer"/> with the demo
    /// seed when the app starts and stops it on shutdown. Read its <see cref="KlaviyoSandboxHost.Sandbox"/> for BaseUrl/ApiKey.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Overrides after binding.</param>
    /// <param name="isEnabled">Decides at start whether the sandbox runs (demo mode); by default it always does.</param>
    public static IServiceCollection AddKlaviyoSandbox(
        this IServiceCollection services, Action<KlaviyoSandboxOptions>? configure = null, Func<IServiceProvider, bool>? isEnabled = null)
    {
        // The operators' LatencyMilliseconds key, beside Latency as a TimeSpan; code can still override.
        static void BindLatencyMilliseconds(OptionsBuilder<KlaviyoSandboxOptions> builder) =>
            builder.Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration.GetValue<double?>($"{KlaviyoSandboxSection}:LatencyMilliseconds") is { } ms)
                {
                    options.Latency = TimeSpan.FromMilliseconds(ms);
                }
            });

        return services.AddStandIn<KlaviyoSandboxOptions, KlaviyoSandboxHost>(
            KlaviyoSandboxSection, BindLatencyMilliseconds, options => options.Validate(), configure,
            (sp, enabled) => new KlaviyoSandboxHost(sp.GetRequiredService<IOptions<KlaviyoSandboxOptions>>(), sp.GetRequiredService<ILogger<KlaviyoSandboxHost>>(), enabled),
            isEnabled);
    }

    /// <summary>
    /// Registers <see cref="ModelSandboxHost"/>, a hosted service that starts a <see cref="ModelSandboxServer"/> when the
    /// app starts and stops it on shutdown.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Overrides after binding.</param>
    /// <param name="isEnabled">Decides at start whether the stand-in runs (demo mode); by default it always does.</param>
    public static IServiceCollection AddModelSandbox(
        this IServiceCollection services, Action<ModelSandboxOptions>? configure = null, Func<IServiceProvider, bool>? isEnabled = null)
    {
        return services.AddStandIn<ModelSandboxOptions, ModelSandboxHost>(
            ModelSandboxSection, bindExtra: null, options => options.Validate(), configure,
            (sp, enabled) => new ModelSandboxHost(sp.GetRequiredService<IOptions<ModelSandboxOptions>>(), sp.GetRequiredService<ILogger<ModelSandboxHost>>(), enabled),
            isEnabled);
    }

    private static IServiceCollection AddStandIn<TOptions, THost>(
        this IServiceCollection services,
        string section,
        Action<OptionsBuilder<TOptions>>? bindExtra,
        Action<TOptions> validate,
        Action<TOptions>? configure,
        Func<IServiceProvider, bool, THost> createHost,
        Func<IServiceProvider, bool>? isEnabled)
        where TOptions : class
        where THost : class, IHostedService
    {
        var builder = services.AddOptions<TOptions>().BindConfiguration(section);
        bindExtra?.Invoke(builder);
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        builder.Validate(options =>
            {
                validate(options);
                return true;
            })
            .ValidateOnStart();
        services.AddSingleton(sp => createHost(sp, isEnabled?.Invoke(sp) ?? true));
        return services.AddHostedService(sp => sp.GetRequiredService<THost>());
    }
}
