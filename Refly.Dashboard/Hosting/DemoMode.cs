using Refly.Core.Klaviyo;
using Refly.Dashboard.Sandbox;

namespace Refly.Dashboard.Hosting;

/// <summary>Whether the app runs against its built-in Klaviyo sandbox (no API key configured).</summary>
public sealed record DemoModeInfo(bool IsDemo)
{
    public static DemoModeInfo From(IConfiguration configuration) => new(string.IsNullOrWhiteSpace(configuration["Klaviyo:ApiKey"]));
}

/// <summary>
/// In demo mode (no <c>Klaviyo:ApiKey</c>), runs the built-in Klaviyo sandbox on a loopback port for the app's
/// lifetime. It starts before the scheduler so the first sync finds it; the Klaviyo client reaches it over HTTP
/// through <see cref="DemoAwareKlaviyoConnection"/> and cannot tell it from Klaviyo.
/// </summary>
public sealed class SandboxHost(DemoModeInfo demoMode, IConfiguration configuration, ILogger<SandboxHost> logger) : IHostedService, IAsyncDisposable
{
    private KlaviyoSandbox? _sandbox;

    /// <summary>The running sandbox; null outside demo mode or before start.</summary>
    public KlaviyoSandbox? Sandbox => _sandbox;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!demoMode.IsDemo)
        {
            return;
        }

        var section = configuration.GetSection("Sandbox");
        var options = new KlaviyoSandboxOptions
        {
            Port = section.GetValue("Port", 0),
            RateLimitMultiplier = section.GetValue("RateLimitMultiplier", 1.0),
            Latency = TimeSpan.FromMilliseconds(section.GetValue("LatencyMilliseconds", 0)),
            FaultRate = section.GetValue("FaultRate", 0.0),
        };
        _sandbox = await KlaviyoSandbox.StartAsync(options, cancellationToken);
        logger.LogInformation("Demo mode: no Klaviyo API key is configured, using the built-in Klaviyo sandbox at {BaseUrl}", _sandbox.BaseUrl);
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _sandbox, null) is { } sandbox)
        {
            await sandbox.DisposeAsync();
        }
    }
}

/// <summary>In demo mode the Klaviyo client talks to the sandbox; otherwise to the configured Klaviyo.</summary>
public sealed class DemoAwareKlaviyoConnection(SandboxHost sandboxHost, OptionsKlaviyoConnection configured) : IKlaviyoConnection
{
    public Uri BaseUrl => sandboxHost.Sandbox?.BaseUrl ?? configured.BaseUrl;

    public string ApiKey => sandboxHost.Sandbox?.ApiKey ?? configured.ApiKey;
}
