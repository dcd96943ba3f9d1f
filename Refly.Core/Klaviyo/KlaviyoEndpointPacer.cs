using System.Threading.RateLimiting;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The client-side limiter of one Klaviyo endpoint: a token bucket whose refill rate is whatever
/// <see cref="KlaviyoSharedQuota"/> allows at the moment (so it follows the account's other integrations and 429s),
/// with a small bucket so requests flow evenly instead of spending a window's allowance at its start, a cap on the
/// requests of any one second below Klaviyo's burst limit, and no request at all while a 429's Retry-After runs.
/// Waiters are served first in, first out and never rejected; waiting can be cancelled.
/// </summary>
/// <remarks>
/// A <see cref="RateLimiter"/> of its own rather than <see cref="TokenBucketRateLimiter"/>: the built-in limiters have a
/// fixed rate and read the system clock (dotnet/runtime#106447), while this rate changes with every answer and the
/// tests step time with a FakeTimeProvider.
/// </remarks>
internal sealed class KlaviyoEndpointPacer : RateLimiter
{
    // The longest a waiter goes without the rate being looked at again (it changes with every answer).
    private static readonly TimeSpan _maxRecheck = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan _minRecheck = TimeSpan.FromMilliseconds(1);

    private readonly Lock _gate = new();
    private readonly KlaviyoSharedQuota _quota;
    private readonly Func<double> _share;
    private readonly double _burstPerSecond;
    private readonly ITimer _timer;
    private readonly Queue<Waiter> _waiters = new();
    private readonly Queue<double> _grantsThisSecond = new();
    private double _tokens;
    private double _creditedAt;
    private double _lastGrantAt;
    private long _successful;
    private long _failed;
    private bool _disposed;

    /// <param name="quota">The endpoint's share of the account's limit; its clock is this pacer's clock.</param>
    /// <param name="share">The configured <see cref="KlaviyoOptions.RateLimitShare"/>, read on every decision.</param>
    /// <param name="burstPerSecond">Klaviyo's burst limit (times any configured scale).</param>
    /// <param name="time">Runs the timer that wakes waiters.</param>
    public KlaviyoEndpointPacer(KlaviyoSharedQuota quota, Func<double> share, double burstPerSecond, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(quota);
        ArgumentNullException.ThrowIfNull(share);
        ArgumentNullException.ThrowIfNull(time);
        _quota = quota;
        _share = share;
        _burstPerSecond = burstPerSecond;
        _creditedAt = quota.Now;
        _lastGrantAt = _creditedAt;
        _tokens = Capacity;
        _timer = time.CreateTimer(_ => Wake(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The share in use, kept within the accepted bounds whatever is configured.</summary>
    public double Share => Math.Clamp(_share(), KlaviyoOptions.MinRateLimitShare, KlaviyoOptions.MaxRateLimitShare);

    /// <inheritdoc />
    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _waiters.Count > 0 ? null : TimeSpan.FromSeconds(Math.Max(0, _quota.Now - _lastGrantAt));
            }
        }
    }

    // At most ~1% of the steady limit saved up (as before: a smooth flow), never above the per-second cap.
    private double Capacity => Math.Max(1, Math.Min(BurstCap, Math.Round(_quota.LimitPerMinute * 0.01)));

    // Klaviyo's burst window is a fixed second: at most this many in any second (sliding) keeps every fixed second under it.
    private int BurstCap => Math.Max(1, (int)Math.Floor(_burstPerSecond * Math.Min(0.9, Share)));

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = (long)Math.Floor(_tokens),
                CurrentQueuedCount = _waiters.Count(w => !w.Task.IsCompleted),
                TotalSuccessfulLeases = _successful,
                TotalFailedLeases = _failed,
            };
        }
    }

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        CheckPermitCount(permitCount);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _quota.Now;
            Serve(now);
            if (_waiters.Count == 0 && CanGrant(now, permitCount))
            {
                Grant(now, permitCount);
                return Lease.Acquired;
            }

            _failed++;
            return Lease.Refused;
        }
    }

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        CheckPermitCount(permitCount);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _quota.Now;
            Serve(now);
            if (_waiters.Count == 0 && CanGrant(now, permitCount))
            {
                Grant(now, permitCount);
                return ValueTask.FromResult<RateLimitLease>(Lease.Acquired);
            }

            var waiter = new Waiter();
            if (cancellationToken.CanBeCanceled)
            {
                waiter.Registration = cancellationToken.Register(
                    static (state, token) => ((Waiter)state!).TrySetCanceled(token), waiter);
            }

            _waiters.Enqueue(waiter);
            Schedule(now);
            return new ValueTask<RateLimitLease>(waiter.Task);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _timer.Dispose();
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.Registration.Unregister();
                waiter.TrySetResult(Lease.Refused);
            }
        }
    }

    private static void CheckPermitCount(int permitCount) =>
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);

    private void Wake()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            var now = _quota.Now;
            Serve(now);
            if (_waiters.Count > 0)
            {
                Schedule(now);
            }
        }
    }

    // Credits the bucket at the rate allowed now and lets out as many waiters, oldest first, as it and the second allow.
    private void Serve(double now)
    {
        var rate = _quota.AllowedPerSecond(Share);
        if (now < _quota.PausedUntil)
        {
            // Nothing saved up while Klaviyo said "not now": the pause must not end in a burst.
            _tokens = 0;
        }
        else
        {
            _tokens = Math.Min(Capacity, _tokens + (rate * Math.Max(0, now - _creditedAt)));
        }

        _creditedAt = now;
        while (_grantsThisSecond.TryPeek(out var at) && at <= now - 1)
        {
            _grantsThisSecond.Dequeue();
        }

        while (_waiters.TryPeek(out var waiter))
        {
            if (waiter.Task.IsCompleted)
            {
                _waiters.Dequeue();
                continue;
            }

            if (!CanGrant(now, 1))
            {
                break;
            }

            _waiters.Dequeue();
            waiter.Registration.Unregister();
            if (waiter.TrySetResult(Lease.Acquired))
            {
                Grant(now, 1);
            }
        }
    }

    private bool CanGrant(double now, int permits) =>
        permits == 0 || (now >= _quota.PausedUntil && _tokens >= permits && _grantsThisSecond.Count < BurstCap);

    private void Grant(double now, int permits)
    {
        _successful++;
        if (permits == 0)
        {
            return;
        }

        _tokens -= permits;
        _grantsThisSecond.Enqueue(now);
        _lastGrantAt = now;
    }

    // Wakes up when the first waiter could go: after the pause, the next token or the oldest grant of the second.
    private void Schedule(double now)
    {
        var wait = 0.0;
        if (now < _quota.PausedUntil)
        {
            wait = Math.Max(wait, _quota.PausedUntil - now);
        }

        if (_tokens < 1)
        {
            var rate = _quota.AllowedPerSecond(Share);
            wait = Math.Max(wait, rate > 0 ? (1 - _tokens) / rate : _maxRecheck.TotalSeconds);
        }

        if (_grantsThisSecond.Count >= BurstCap && _grantsThisSecond.TryPeek(out var oldest))
        {
            wait = Math.Max(wait, oldest + 1 - now);
        }

        var due = TimeSpan.FromSeconds(Math.Clamp(wait, _minRecheck.TotalSeconds, _maxRecheck.TotalSeconds));
        _timer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private sealed class Waiter() : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Refused = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
