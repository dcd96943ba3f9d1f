namespace Refly.Core.Personalization;

/// <summary>
/// How many model calls may be in flight, adapted to what the endpoint sustains (like TCP's congestion window):
/// starting low, the limit grows by one per call that completes while latency holds (per output token, within 1.5x of
/// the best seen) until it reaches a threshold, then by one per limit's worth of such calls, never above the maximum.
/// A 429, a 5xx or a timeout halves it (once per round of calls in flight: the calls that were already under way when it
/// was halved do not halve it again), and a Retry-After pauses every new call until it has passed.
/// Thread-safe; all times from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class AdaptiveConcurrency
{
    private const double LatencyTolerance = 1.5;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _max;
    private readonly List<TaskCompletionSource> _waiters = [];
    private int _limit;
    private int _threshold;
    private int _credit;
    private int _inFlight;
    private long _epoch;
    private double _bestSecondsPerToken = double.PositiveInfinity;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    /// <summary>Starts at <paramref name="initial"/> calls (at most <paramref name="max"/>).</summary>
    public AdaptiveConcurrency(int max, int initial, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentNullException.ThrowIfNull(time);
        _max = max;
        _limit = Math.Clamp(initial, 1, max);
        _threshold = max;
        _time = time;
    }

    /// <summary>The limit now.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return _limit;
            }
        }
    }

    /// <summary>Calls in flight now.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>The most calls that were in flight at once.</summary>
    public int PeakInFlight { get; private set; }

    /// <summary>The highest the limit has been.</summary>
    public int PeakLimit { get; private set; }

    /// <summary>How many times the limit was halved.</summary>
    public int Backoffs { get; private set; }

    /// <summary>The lowest the limit went after a back-off (<see cref="int.MaxValue"/> before any).</summary>
    public int LowestLimit { get; private set; } = int.MaxValue;

    /// <summary>Waits for a slot (and for any Retry-After pause to pass); the lease must be ended by exactly one of the On... calls.</summary>
    public async ValueTask<Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan pause;
            Task wait;
            lock (_lock)
            {
                pause = _pausedUntil - _time.GetUtcNow();
                if (pause <= TimeSpan.Zero && _inFlight < _limit)
                {
                    _inFlight++;
                    PeakInFlight = Math.Max(PeakInFlight, _inFlight);
                    PeakLimit = Math.Max(PeakLimit, _limit);
                    return new Lease(_epoch, _time.GetTimestamp());
                }

                if (pause > TimeSpan.Zero)
                {
                    wait = Task.Delay(pause, _time, cancellationToken);
                }
                else
                {
                    var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _waiters.Add(waiter);
                    wait = waiter.Task.WaitAsync(cancellationToken);
                }
            }

            await wait.ConfigureAwait(false);
        }
    }

    /// <summary>The call succeeded with <paramref name="outputTokens"/> generated: the limit may grow.</summary>
    public void OnSuccess(Lease lease, long outputTokens)
    {
        var seconds = _time.GetElapsedTime(lease.StartedAt).TotalSeconds;
        var perToken = seconds / Math.Max(1, outputTokens);
        lock (_lock)
        {
            _inFlight--;
            var latencyHolds = perToken <= _bestSecondsPerToken * LatencyTolerance;
            _bestSecondsPerToken = Math.Min(_bestSecondsPerToken, perToken);
            if (latencyHolds && lease.Epoch == _epoch && _limit < _max)
            {
                if (_limit < _threshold)
                {
                    _limit++;
                }
                else if (++_credit >= _limit)
                {
                    _credit = 0;
                    _limit++;
                }
            }

            WakeAll();
        }
    }

    /// <summary>The endpoint was overloaded (429, 5xx, timeout): halve the limit, and pause for <paramref name="retryAfter"/> when it says so.</summary>
    public void OnOverload(Lease lease, TimeSpan? retryAfter)
    {
        lock (_lock)
        {
            _inFlight--;
            if (lease.Epoch == _epoch)
            {
                _epoch++;
                _limit = Math.Max(1, _limit / 2);
                _threshold = _limit;
                _credit = 0;
                Backoffs++;
                LowestLimit = Math.Min(LowestLimit, _limit);
            }

            if (retryAfter is { } delay && delay > TimeSpan.Zero)
            {
                var until = _time.GetUtcNow() + delay;
                if (until > _pausedUntil)
                {
                    _pausedUntil = until;
                }
            }

            WakeAll();
        }
    }

    /// <summary>The call ended otherwise (bad answer, the caller's cancellation): the slot is free, the limit unchanged.</summary>
    public void OnOtherOutcome(Lease lease)
    {
        _ = lease;
        lock (_lock)
        {
            _inFlight--;
            WakeAll();
        }
    }

    // Called under the lock. Every waiter re-checks; the few that fit take a slot, the others wait again.
    private void WakeAll()
    {
        foreach (var waiter in _waiters)
        {
            waiter.TrySetResult();
        }

        _waiters.Clear();
    }

    /// <summary>A slot: the round of calls it started in and when.</summary>
    public readonly record struct Lease(long Epoch, long StartedAt);
}
