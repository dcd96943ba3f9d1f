using Microsoft.Extensions.Options;
using Refly.ModelSandbox;

namespace Refly.Dashboard.Hosting;

/// <summary>Owns the demo-mode model stand-in for the app's lifetime.</summary>
public sealed class ModelSandboxHost(IOptions<ModelSandboxOptions> options, ILogger<ModelSandboxHost> logger, bool enabled = true)
    : StandInHost<ModelSandboxServer>(enabled)
{
    protected override Task<ModelSandboxServer> StartServerAsync(CancellationToken cancellationToken) =>
        ModelSandboxServer.StartAsync(options.Value, cancellationToken);

    protected override void LogStarted(ModelSandboxServer server) =>
        logger.LogInformation("Demo mode: model stand-in ({Model}, profile {Profile}) listening on {Endpoint}", server.ModelId, server.Profile.Name, server.Endpoint);
}
