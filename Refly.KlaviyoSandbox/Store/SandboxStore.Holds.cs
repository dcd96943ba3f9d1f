namespace Refly.KlaviyoSandbox.Store;

public sealed partial class SandboxStore
{
    private readonly Lock _holdsGate = new();
    private SandboxHold[] _holds = [];

    /// <summary>
    /// Holds the requests of the operations <paramref name="operations"/> matches (by operation id) before they are
    /// handled, after letting the first <paramref name="passFirst"/> of them through, until the hold is released or
    /// disposed: a Klaviyo that stops answering some calls, for tests that need a run held at a known point. A held
    /// request whose client gives up is dropped without an answer, as a request Klaviyo never handled.
    /// </summary>
    public SandboxHold Hold(Func<string, bool> operations, int passFirst = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(passFirst);
        var hold = new SandboxHold(operations, passFirst, Remove);
        lock (_holdsGate)
        {
            _holds = [.. _holds, hold];
        }
        return hold;
    }

    /// <summary>Waits while an active hold matches <paramref name="operationId"/>.</summary>
    internal async Task WaitWhileHeldAsync(string operationId, CancellationToken cancellationToken)
    {
        foreach (var hold in Volatile.Read(ref _holds))
        {
            await hold.WaitAsync(operationId, cancellationToken);
        }
    }

    private void Remove(SandboxHold hold)
    {
        lock (_holdsGate)
        {
            _holds = [.. _holds.Where(h => h != hold)];
        }
    }
}

/// <summary>An active <see cref="SandboxStore.Hold"/>; dispose (or <see cref="Release"/>) to let the held requests go on.</summary>
public sealed class SandboxHold : IDisposable
{
    private readonly Func<string, bool> _operations;
    private readonly Action<SandboxHold> _remove;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _passLeft;
    private int _waiting;

    internal SandboxHold(Func<string, bool> operations, int passFirst, Action<SandboxHold> remove)
    {
        _operations = operations;
        _passLeft = passFirst;
        _remove = remove;
    }

    /// <summary>Requests being held right now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    internal async Task WaitAsync(string operationId, CancellationToken cancellationToken)
    {
        if (_released.Task.IsCompleted || !_operations(operationId) || Interlocked.Decrement(ref _passLeft) >= 0)
        {
            return;
        }
        Interlocked.Increment(ref _waiting);
        try
        {
            await _released.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Release()
    {
        _remove(this);
        _released.TrySetResult();
    }

    public void Dispose() => Release();
}
