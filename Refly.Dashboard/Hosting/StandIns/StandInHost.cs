namespace Refly.Dashboard.Hosting;

/// <summary>
/// Owns one built-in stand-in server (the Klaviyo sandbox, the model stand-in) for the app's lifetime in demo mode:
/// starts it with the app when <see cref="Enabled"/>, exposes it once it listens, and disposes it on shutdown.
/// </summary>
/// <typeparam name="TServer">The stand-in server.</typeparam>
public abstract class StandInHost<TServer>(bool enabled) : IHostedService, IAsyncDisposable
    where TServer : class, IAsyncDisposable
{
    private readonly TaskCompletionSource<TServer> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Whether this host starts its stand-in at all (false outside demo mode).</summary>
    public bool Enabled => enabled;

    /// <summary>The running stand-in, or null when disabled or not started yet.</summary>
    public TServer? Current => _started.Task.IsCompletedSuccessfully ? _started.Task.Result : null;

    /// <summary>Completes when the stand-in listens (for services that start before the host's hosted services).</summary>
    public Task<TServer> WhenStarted => _started.Task;

    /// <summary>Starts the server.</summary>
    protected abstract Task<TServer> StartServerAsync(CancellationToken cancellationToken);

    /// <summary>Logs where the started server listens (never its key).</summary>
    protected abstract void LogStarted(TServer server);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!enabled)
        {
            return;
        }
        try
        {
            var server = await StartServerAsync(cancellationToken);
            LogStarted(server);
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
        GC.SuppressFinalize(this);
    }
}
