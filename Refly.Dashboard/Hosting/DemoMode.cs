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
public sealed class DemoAwareKlaviyoConnection(KlaviyoSandboxHost sandboxHost, OptionsKlaviyoConnection configured, KlaviyoApiKeySettings savedKey) : IKlaviyoConnection
{
    public Uri BaseUrl => savedKey.Stored is not null ? configured.BaseUrl : sandboxHost.Current?.BaseUrl ?? configured.BaseUrl;

    public string ApiKey => savedKey.Stored ?? sandboxHost.Current?.ApiKey ?? configured.ApiKey;

    /// <summary>Whether requests currently go to the built-in sandbox.</summary>
    public bool UsesSandbox => savedKey.Stored is null && sandboxHost.Current is not null;
}

/// <summary>
/// Demo mode's built-in model: the LLM personalizer with no endpoint configured calls the model stand-in, as long as
/// the app talks to the Klaviyo sandbox (demo copy never reaches a real account).
/// </summary>
public sealed class DemoModelEndpoint(ModelSandboxHost modelHost, DemoAwareKlaviyoConnection klaviyo) : IFallbackLlmEndpoint
{
    public FallbackLlmEndpoint? Current =>
        modelHost.Current is { } model && klaviyo.UsesSandbox ? new FallbackLlmEndpoint(model.Endpoint, model.ModelId, model.ApiKey) : null;
}
