using Refly.Core.Klaviyo;
using Refly.Core.Settings;
using Refly.KlaviyoSandbox;

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
