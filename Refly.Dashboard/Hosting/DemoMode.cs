using Refly.Core.Klaviyo;
using Refly.Dashboard.Sandbox;

namespace Refly.Dashboard.Hosting;

/// <summary>Whether the app runs against its built-in Klaviyo sandbox (no API key configured).</summary>
public sealed record DemoModeInfo(bool IsDemo)
{
    public static DemoModeInfo From(IConfiguration configuration) => new(string.IsNullOrWhiteSpace(configuration["Klaviyo:ApiKey"]));
}

/// <summary>In demo mode the Klaviyo client talks to the sandbox; otherwise to the configured Klaviyo.</summary>
/// <remarks>The sandbox host starts before the scheduler, so the first sync already finds it.</remarks>
public sealed class DemoAwareKlaviyoConnection(KlaviyoSandboxHost sandboxHost, OptionsKlaviyoConnection configured) : IKlaviyoConnection
{
    public Uri BaseUrl => sandboxHost.Current?.BaseUrl ?? configured.BaseUrl;

    public string ApiKey => sandboxHost.Current?.ApiKey ?? configured.ApiKey;
}
