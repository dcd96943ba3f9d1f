using System.Collections.Concurrent;

namespace Refly.Core.Personalization;

/// <summary>
/// The cancellation signal of each run being executed in this process. A run's job registers before it reads the
/// run's state, and a cancel persists Cancelling before it signals, so no cancel can slip between the two.
/// </summary>
public sealed class RunCancellation
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    /// <summary>Registers a running run; dispose the result when its job ends.</summary>
    public Registration Register(Guid runId)
    {
        var source = new CancellationTokenSource();
        _running[runId] = source;
        return new Registration(this, runId, source);
    }

    /// <summary>Signals the run's job, if one is running here; returns whether one was.</summary>
    public bool Signal(Guid runId)
    {
        if (_running.TryGetValue(runId, out var source))
        {
            source.Cancel();
            return true;
        }
        return false;
    }

    public sealed class Registration(RunCancellation owner, Guid runId, CancellationTokenSource source) : IDisposable
    {
        public CancellationToken Token => source.Token;

        public void Dispose()
        {
            owner._running.TryRemove(new KeyValuePair<Guid, CancellationTokenSource>(runId, source));
            source.Dispose();
        }
    }
}
