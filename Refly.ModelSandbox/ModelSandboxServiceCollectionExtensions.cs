using Microsoft.Extensions.Options;

namespace Refly.ModelSandbox;

/// <summary>Runs the model stand-in inside the Dashboard for demo mode; the composition root decides when.</summary>
public static class ModelSandboxServiceCollectionExtensions
{
    public const string SectionName = "ModelSandbox";

    /// <summary>
    /// Registers <see cref="ModelSandboxHost"/>, a hosted service that starts a <see cref="ModelSandboxServer"/> when the
    /// app starts and stops it on shutdown. Bound from the <c>ModelSandbox</c> section (Port, Profile, TimeScale, ModelId).
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Overrides after binding.</param>
    /// <param name="isEnabled">Decides at start whether the stand-in runs (demo mode); by default it always does.</param>
    public static IServiceCollection AddModelSandbox(
        this IServiceCollection services, Action<ModelSandboxOptions>? configure = null, Func<IServiceProvider, bool>? isEnabled = null)
    {
        var builder = services.AddOptions<ModelSandboxOptions>()
            .BindConfiguration(SectionName)
            .Validate(options =>
            {
                options.Validate();
                return true;
            })
            .ValidateOnStart();
        if (configure is not null)
        {
            builder.Configure(configure);
        }
        services.AddSingleton(sp => new ModelSandboxHost(
            sp.GetRequiredService<IOptions<ModelSandboxOptions>>(),
            sp.GetRequiredService<ILogger<ModelSandboxHost>>(),
            isEnabled?.Invoke(sp) ?? true));
        services.AddHostedService(sp => sp.GetRequiredService<ModelSandboxHost>());
        return services;
    }
}

/// <summary>Owns the demo-mode model stand-in for the app's lifetime.</summary>
public sealed class ModelSandboxHost(IOptions<ModelSandboxOptions> options, ILogger<ModelSandboxHost> logger, bool enabled = true) : IHostedService, IAsyncDisposable
{
    private readonly TaskCompletionSource<ModelSandboxServer> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether this host starts a stand-in at all (false outside demo mode).</summary>
    public bool Enabled => enabled;

    /// <summary>The running stand-in, or null when disabled or not started yet.</summary>
    public ModelSandboxServer? Current => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

    /// <summary>Completes when the stand-in listens.</summary>
    public Task<ModelSandboxServer> WhenStarted => _started.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!enabled)
        {
            return;
        }
        try
        {
            var server = await ModelSandboxServer.StartAsync(options.Value, cancellationToken);
            logger.LogInformation("Demo mode: model stand-in ({Model}, profile {Profile}) listening on {Endpoint}", server.ModelId, server.Profile.Name, server.Endpoint);
            _started.TrySetResult(server);
        }
        catch (OperationCanceledException)
        {
            _started.TrySetCanceled(cancellationToken);
            throw;
        }
        catch (Exception e)
        {
            _started.TrySetException(e);
            throw;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_started.Task.IsCompletedSuccessfully)
        {
            await _started.Task.Result.DisposeAsync();
        }
    }
}
