using Microsoft.Extensions.Options;
using Refly.KlaviyoSandbox;

namespace Refly.Dashboard.Hosting;

/// <summary>Owns the demo-mode Klaviyo sandbox (with the demo seed) for the app's lifetime.</summary>
public sealed class KlaviyoSandboxHost(IOptions<KlaviyoSandboxOptions> options, ILogger<KlaviyoSandboxHost> logger, bool enabled = true)
    : StandInHost<KlaviyoSandboxServer>(enabled)
{
    /// <summary>The running sandbox; throws before the host has started.</summary>
    public KlaviyoSandboxServer Sandbox => Current ?? throw new InvalidOperationException("The Klaviyo sandbox has not started yet.");

    protected override Task<KlaviyoSandboxServer> StartServerAsync(CancellationToken cancellationToken) =>
        KlaviyoSandboxServer.StartAsync(options.Value, cancellationToken);

    // Never log the key: it is a credential even if a throwaway one.
    protected override void LogStarted(KlaviyoSandboxServer server) =>
        logger.LogInformation("Demo mode: Klaviyo sandbox listening on {BaseUrl}", server.BaseUrl);
}
