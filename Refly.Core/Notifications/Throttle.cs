namespace Refly.Core.Notifications;

/// <summary>
/// Coalesces bursts of signals into at most one call of an action per interval: the first signal runs it after
/// the interval, signals arriving meanwhile ride along. Used so that progress from many runs re-renders a
/// component a few times a second at most.
/// </summary>
public sealed class Throttle : IDisposable
{
    private readonly Func<Task> _action;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _disposed = new();
    private int _pending;

    public Throttle(TimeSpan interval, Func<Task> action, TimeProvider? time = null)
    {
        _interval = interval;
        _action = action;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Asks for the action to run; returns at once.</summary>
    public void Signal()
    {
        if (_disposed.IsCancellationRequested || Interlocked.Exchange(ref _pending, 1) == 1)
        {
            return;
        }
        _ = RunAfterIntervalAsync();
    }

    private async Task RunAfterIntervalAsync()
    {
        try
        {
            await Task.Delay(_interval, _time, _disposed.Token).ConfigureAwait(false);
            // Reset before running so a signal during the action schedules the next round.
            Volatile.Write(ref _pending, 0);
            await _action().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed while waiting: nothing left to refresh.
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
