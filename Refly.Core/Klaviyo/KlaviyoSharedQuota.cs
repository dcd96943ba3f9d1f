using System.Net;

namespace Refly.Core.Klaviyo;

/// <summary>How one endpoint is paced at this moment (diagnostics and tests).</summary>
/// <param name="LimitPerMinute">The steady limit in use: Klaviyo's <c>RateLimit-Limit</c> once seen, else the published one.</param>
/// <param name="OthersPerMinute">What the account's other integrations are estimated to use of it.</param>
/// <param name="AllowedPerMinute">The rate Refly allows itself now (share, others, the current window and any back-off).</param>
/// <param name="Backoff">The factor a 429 put on the rate (1 = none), recovering over time.</param>
/// <param name="PausedUntil">While a 429's Retry-After runs, when requests may go out again; null otherwise.</param>
public sealed record KlaviyoPacingState(
    double LimitPerMinute, double OthersPerMinute, double AllowedPerMinute, double Backoff, DateTimeOffset? PausedUntil);

/// <summary>
/// One endpoint's share of the account's steady rate limit. Klaviyo counts each endpoint in fixed one-minute windows
/// shared by every private-key integration of the account, and reports the window on each answer (limit, remaining,
/// seconds to reset). What the window used beyond Refly's own requests is what the others used: this turns that into an
/// estimate of their rate and answers how fast Refly may send, at most <c>share x limit</c> minus the others' use, with
/// a small margin; within the current window it never plans past what is left; a 429 pauses the endpoint for its
/// Retry-After and halves the rate, which then recovers over <see cref="BackoffRecovery"/>. When the others stop, their
/// estimate decays (time constant <see cref="OthersTimeConstant"/>) and Refly takes its share again.
/// All times come from the injected <see cref="TimeProvider"/>. Thread-safe.
/// </summary>
internal sealed class KlaviyoSharedQuota
{
    /// <summary>Kept below the share, and off what is left of a window, for estimation noise and requests on their way.</summary>
    public const double Margin = 0.02;

    /// <summary>Klaviyo's steady window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>How quickly the estimate of the others' rate follows a change (about 95% after three times this).</summary>
    public static readonly TimeSpan OthersTimeConstant = TimeSpan.FromSeconds(10);

    /// <summary>A 429 halves the rate; it grows back linearly to the full rate over this long.</summary>
    public static readonly TimeSpan BackoffRecovery = TimeSpan.FromSeconds(30);

    /// <summary>The lowest back-off factor however many 429s come.</summary>
    public const double MinBackoff = 0.125;

    /// <summary>
    /// However much the others are estimated to use, Refly keeps this fraction of the limit, so a run slows but never
    /// stalls on an estimate; a window the headers show exhausted still stops it until the window resets.
    /// </summary>
    public const double FloorFraction = 0.02;

    private static readonly double _windowSeconds = Window.TotalSeconds;
    private static readonly double _tau = OthersTimeConstant.TotalSeconds;

    // Two answers whose windows end within this of each other are the same window (Reset is in whole seconds).
    private const double SameWindowTolerance = 2.0;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _epoch;
    private readonly double _publishedLimit;
    private readonly SortedSet<long> _inFlight = [];
    private long _lastTicket;

    private double? _headerLimit;
    private bool _hasWindow;
    private double _windowEnd;
    private int _ownInWindow;
    private double _othersInWindow;
    private int _remaining;
    private double _observedAt = double.NegativeInfinity;

    private double _othersRate;
    private double _othersRateAt;

    private double _backoffAtThrottle = 1;
    private double _throttledAt = double.NegativeInfinity;
    private double _pausedUntil = double.NegativeInfinity;

    /// <param name="publishedSteadyPerMinute">Klaviyo's published steady limit (times any configured scale).</param>
    /// <param name="time">The clock.</param>
    public KlaviyoSharedQuota(double publishedSteadyPerMinute, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _publishedLimit = Math.Max(1e-3, publishedSteadyPerMinute);
        _time = time;
        _epoch = time.GetTimestamp();
    }

    /// <summary>Seconds since this quota was created, on its clock; the unit of every "now" below.</summary>
    public double Now => _time.GetElapsedTime(_epoch).TotalSeconds;

    /// <summary>The steady limit per minute in use.</summary>
    public double LimitPerMinute
    {
        get
        {
            lock (_gate)
            {
                return _headerLimit ?? _publishedLimit;
            }
        }
    }

    /// <summary>A request of Refly's leaves; the ticket goes back with its answer.</summary>
    public long RecordSent()
    {
        lock (_gate)
        {
            var ticket = ++_lastTicket;
            _inFlight.Add(ticket);
            return ticket;
        }
    }

    /// <summary>A request got no answer (network error, timeout, cancellation): it may or may not have counted.</summary>
    public void RecordNoAnswer(long ticket)
    {
        lock (_gate)
        {
            _inFlight.Remove(ticket);
        }
    }

    /// <summary>An answer came back: a 429 (with its Retry-After, if any) or another status with the window's state, if sent.</summary>
    public void RecordAnswer(long ticket, HttpStatusCode status, KlaviyoRateLimitState? state, TimeSpan? retryAfter)
    {
        lock (_gate)
        {
            var now = Now;
            // Requests sent before this one and still unanswered most likely reached Klaviyo first: they are in its count.
            var olderInFlight = _inFlight.Count == 0 || ticket <= _inFlight.Min ? 0 : _inFlight.GetViewBetween(_inFlight.Min, ticket - 1).Count;
            _inFlight.Remove(ticket);
            if (status == HttpStatusCode.TooManyRequests)
            {
                Throttled(now, retryAfter);
            }
            else if (state is { } window)
            {
                Observe(now, window, olderInFlight);
            }
        }
    }

    /// <summary>Requests per second Refly may send now, with <paramref name="share"/> of the limit at most.</summary>
    public double AllowedPerSecond(double share)
    {
        lock (_gate)
        {
            return AllowedPerSecondLocked(Now, share);
        }
    }

    /// <summary>Seconds (on <see cref="Now"/>'s scale) until which no request should leave, after a 429.</summary>
    public double PausedUntil
    {
        get
        {
            lock (_gate)
            {
                return _pausedUntil;
            }
        }
    }

    /// <summary>The state for diagnostics.</summary>
    public KlaviyoPacingState Snapshot(double share)
    {
        lock (_gate)
        {
            var now = Now;
            var paused = _pausedUntil > now ? _time.GetUtcNow().AddSeconds(_pausedUntil - now) : (DateTimeOffset?)null;
            return new KlaviyoPacingState(_headerLimit ?? _publishedLimit, OthersRate(now) * _windowSeconds,
                AllowedPerSecondLocked(now, share) * _windowSeconds, Backoff(now), paused);
        }
    }

    private void Observe(double now, KlaviyoRateLimitState window, int olderInFlight)
    {
        _headerLimit = window.Limit;
        var end = now + window.ResetSeconds;
        var used = window.Limit - window.Remaining;
        var newWindow = !_hasWindow || end > _windowEnd + SameWindowTolerance;
        if (!newWindow && end < _windowEnd - SameWindowTolerance)
        {
            // The answer to a request counted in the previous window, overtaken by one of the current window.
            return;
        }

        DecayOthersRate(now);
        if (newWindow)
        {
            _ownInWindow = 1;
            var others = Math.Max(0, used - _ownInWindow - olderInFlight);
            if (!_hasWindow || now - _observedAt > _windowSeconds)
            {
                // Nothing recent to build on: the others' count so far in this window, over the time it has run.
                var elapsed = Math.Max(1, _windowSeconds - window.ResetSeconds);
                _othersRate = others / elapsed;
            }
            else
            {
                _othersRate += others / _tau;
            }

            _othersInWindow = others;
            _windowEnd = end;
        }
        else
        {
            _ownInWindow++;
            var others = Math.Max(0, used - _ownInWindow - olderInFlight);
            // Only growth counts: the others' count in a window never falls, so a lower figure is noise from answers
            // overtaking each other.
            if (others > _othersInWindow)
            {
                _othersRate += (others - _othersInWindow) / _tau;
                _othersInWindow = others;
            }

            // Reset is in whole seconds; the earliest end reported is the closest to the truth.
            _windowEnd = Math.Min(_windowEnd, end);
        }

        // Within a window the count only grows: an answer overtaken by a later one does not give back what it saw.
        _remaining = newWindow ? window.Remaining : Math.Min(_remaining, window.Remaining);
        _hasWindow = true;
        _observedAt = now;
    }

    private void Throttled(double now, TimeSpan? retryAfter)
    {
        // Answers to requests sent together arrive together: one halving per second, not one per answer.
        if (now - _throttledAt >= 1)
        {
            _backoffAtThrottle = Math.Max(MinBackoff, Backoff(now) / 2);
            _throttledAt = now;
        }

        var pause = Math.Clamp(retryAfter?.TotalSeconds ?? 1, 0, _windowSeconds);
        _pausedUntil = Math.Max(_pausedUntil, now + pause);
    }

    private double AllowedPerSecondLocked(double now, double share)
    {
        var limit = (_headerLimit ?? _publishedLimit) / _windowSeconds;
        var own = share * limit * (1 - Margin);
        var others = OthersRate(now);
        var rate = Math.Max(Math.Min(own, FloorFraction * limit), own - others);
        if (_hasWindow && now < _windowEnd)
        {
            // Within the current window: what is left, minus what is on its way, what the others will take until the
            // window resets and a margin, spread over the time left; and never more of the window than the share.
            var left = _windowEnd - now;
            var inFlight = _inFlight.Count;
            var othersToCome = others * (now - _observedAt + left);
            var budget = _remaining - inFlight - othersToCome - Margin * limit * _windowSeconds;
            var ownLeft = own * _windowSeconds - _ownInWindow - inFlight;
            rate = Math.Min(rate, Math.Max(0, Math.Min(budget, ownLeft)) / Math.Max(left, 0.05));
        }

        return rate * Backoff(now);
    }

    private double Backoff(double now)
    {
        var since = now - _throttledAt;
        return since >= BackoffRecovery.TotalSeconds
            ? 1
            : _backoffAtThrottle + ((1 - _backoffAtThrottle) * Math.Max(0, since) / BackoffRecovery.TotalSeconds);
    }

    private double OthersRate(double now) => _othersRate * Math.Exp(-Math.Max(0, now - _othersRateAt) / _tau);

    private void DecayOthersRate(double now)
    {
        _othersRate = OthersRate(now);
        _othersRateAt = now;
    }
}
