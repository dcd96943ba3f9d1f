using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Settings;
using Refly.KlaviyoSandbox;
using Refly.ModelSandbox;

namespace Refly.Dashboard.Hosting;

/// <summary>Whether the app runs against its built-in Klaviyo sandbox (no API key configured).</summary>
public sealed record DemoModeInfo(bool IsDemo)
{
    public static DemoModeInfo From(IConfiguration configuration) => new(string.IsNullOrWhiteSpace(configuration["Klaviyo:ApiKey"]));
}

/// <summary>
/// Which Klaviyo the client talks to, read per request: a key saved in Settings (at the configured base URL) wins over
/// <c>Klaviyo:ApiKey</c>, which wins over the demo sandbox.
/// </summary>
/// <remarks>The sandbox host starts before the scheduler, so the first sync already finds it.</remarks>
public sealed class DemoAwareKlaviyoConnection(KlaviyoSandboxHost sandboxHost, OptionsKlaviyoConnection configured, SettingsService settings) : IKlaviyoConnection
{
    public Uri BaseUrl => settings.StoredKlaviyoApiKey is not null ? configured.BaseUrl : sandboxHost.Current?.BaseUrl ?? configured.BaseUrl;

    public string ApiKey => settings.StoredKlaviyoApiKey ?? sandboxHost.Current?.ApiKey ?? configured.ApiKey;

    /// <summary>Whether requests currently go to the built-in sandbox.</summary>
    public bool UsesSandbox => settings.StoredKlaviyoApiKey is null && sandboxHost.Current is not null;
}

/// <summary>
/// Demo mode's built-in model: the LLM personalizer with no endpoint configured calls the model stand-in, as long as
/// the app talks to the Klaviyo sandbox (demo copy never reaches a real account).
/// </summary>
/// <remarks>
/// The connection is resolved on first use: it depends on <see cref="SettingsService"/>, which depends on this
/// endpoint (its validator accepts an LLM without an endpoint only when there is a built-in model).
/// </remarks>
public sealed class DemoModelEndpoint(ModelSandboxHost modelHost, IServiceProvider services) : IFallbackLlmEndpoint
{
    private readonly Lazy<DemoAwareKlaviyoConnection> _klaviyo = new(services.GetRequiredService<DemoAwareKlaviyoConnection>);

    public FallbackLlmEndpoint? Current =>
        modelHost.Current is { } model && _klaviyo.Value.UsesSandbox ? new FallbackLlmEndpoint(model.Endpoint, model.ModelId, model.ApiKey) : null;
}
