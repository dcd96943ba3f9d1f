using Microsoft.Extensions.Options;

namespace Refly.KlaviyoSandbox;

/// <summary>Runs the sandbox inside the Dashboard for demo mode; the composition root decides when to call it.</summary>
public static class SandboxServiceCollectionExtensions
{
    public const string SectionName = "Sandbox";

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
        // Bound from the "Sandbox" section (Port, RateLimitMultiplier, FaultRate, Latency as a TimeSpan, or the
        // operators' LatencyMilliseconds key); code can still override.
        var builder = services.AddOptions<KlaviyoSandboxOptions>()
            .BindConfiguration(SectionName)
            .Configure<IConfiguration>((options, configuration) =>
            {
                if (configuration.GetValue<double?>($"{SectionName}:LatencyMilliseconds") is { } ms)
                {
                    options.Latency = TimeSpan.FromMilliseconds(ms);
                }
            })
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
        services.AddSingleton(sp => new KlaviyoSandboxHost(
            sp.GetRequiredService<IOptions<KlaviyoSandboxOptions>>(),
            sp.GetRequiredService<ILogger<KlaviyoSandboxHost>>(),
            isEnabled?.Invoke(sp) ?? true));
        services.AddHostedService(sp => sp.GetRequiredService<KlaviyoSandboxHost>());
        return services;
    }
}

/// <summary>Owns the demo-mode sandbox for the app's lifetime.</summary>
public sealed class KlaviyoSandboxHost(IOptions<KlaviyoSandboxOptions> options, ILogger<KlaviyoSandboxHost> logger, bool enabled = true) : IHostedService, IAsyncDisposable
{
    /// <summary>Whether this host starts a sandbox at all (false outside demo mode).</summary>
    public bool Enabled => enabled;

    /// <summary>The running sandbox, or null when disabled or not started yet.</summary>
    public KlaviyoSandboxServer? Current => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

    private readonly TaskCompletionSource<KlaviyoSandboxServer> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The running sandbox; throws before the host has started.</summary>
    public KlaviyoSandboxServer Sandbox => _started.Task.IsCompletedSuccessfully
        ? _started.Task.Result
        : throw new InvalidOperationException("The Klaviyo sandbox has not started yet.");

    /// <summary>Completes when the sandbox listens (for services that start before the host's hosted services).</summary>
    public Task<KlaviyoSandboxServer> WhenStarted => _started.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!enabled)
        {
            return;
        }
        try
        {
            var sandbox = await KlaviyoSandboxServer.StartAsync(options.Value, cancellationToken);
            // Never log the key: it is a credential even if a throwaway one.
            logger.LogInformation("Demo mode: Klaviyo sandbox listening on {BaseUrl}", sandbox.BaseUrl);
            _started.TrySetResult(sandbox);
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
