using System.Collections.Concurrent;
using Refly.KlaviyoSandbox.Spec;

namespace Refly.KlaviyoSandbox.Http;

/// <summary>What the rate limit decided for one request.</summary>
/// <param name="Allowed">False: answer 429 with <paramref name="RetryAfterSeconds"/>.</param>
/// <param name="Limit">The steady (per-minute) limit of the operation's bucket: <c>RateLimit-Limit</c>.</param>
/// <param name="Remaining">Requests left in the current steady window after this one: <c>RateLimit-Remaining</c>.</param>
/// <param name="ResetSeconds">Whole seconds (rounded up) until the steady window resets: <c>RateLimit-Reset</c>.</param>
/// <param name="RetryAfterSeconds">When refused: whole seconds (at least 1) until the exhausted window resets.</param>
public readonly record struct RateLimitDecision(bool Allowed, int Limit, int Remaining, int ResetSeconds, int RetryAfterSeconds);

/// <summary>
/// Klaviyo's per-account, per-operation limits as its documentation describes them: a fixed-window algorithm with two
/// windows, burst (1 second) and steady (1 minute), both scaled by RateLimitMultiplier, plus a third fixed window of one
/// UTC day where the spec states a daily limit (the reporting operations' "Daily: `225/d`"). The sandbox is one account, so
/// every private key it has issued counts against the same buckets (Klaviyo: "private key integrations share the same
/// rate limit quota per account"). Limits that the spec ties to a parameter value get their own buckets. A refused
/// request does not count. Windows are aligned to the clock's whole seconds and minutes; clients are told where they
/// stand by the headers, never by the alignment.
/// </summary>
public sealed class SandboxRateLimits(double multiplier, TimeProvider clock)
{
    private static readonly long _burstWindowTicks = TimeSpan.TicksPerSecond;
    private static readonly long _steadyWindowTicks = TimeSpan.TicksPerMinute;
    private static readonly long _dailyWindowTicks = TimeSpan.TicksPerDay;
    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);

    /// <summary>Counts the request against its operation's bucket, unless a window is exhausted.</summary>
    public RateLimitDecision TryAcquire(SpecOperation operation, IReadOnlyDictionary<string, string> query)
    {
        var (key, limit) = Select(operation, query);
        var bucket = _buckets.GetOrAdd(key, _ => new Bucket(Scale(limit.PerSecond), Scale(limit.PerMinute), limit.PerDay is { } perDay ? Scale(perDay) : null));
        return bucket.TryAcquire(clock.GetUtcNow().UtcTicks);
    }

    private int Scale(int permits) => (int)Math.Clamp(Math.Ceiling(permits * multiplier), 1, int.MaxValue / 2);

    private static (string Key, RateLimit Limit) Select(SpecOperation operation, IReadOnlyDictionary<string, string> query)
    {
        foreach (var c in operation.ConditionalRateLimits)
        {
            // The descriptions say "include=list" where the parameter's value is "lists": accept both spellings.
            if (query.TryGetValue(c.Parameter, out var value) && value.Split(',').Any(v => v == c.Value || v == c.Value + "s"))
            {
                return ($"{operation.OperationId}|{c.Parameter}={c.Value}", c.Limit);
            }
        }
        return (operation.OperationId, operation.RateLimit);
    }

    private sealed class Bucket(int burstLimit, int steadyLimit, int? dailyLimit)
    {
        private long _dailyWindow = long.MinValue;
        private int _dailyCount;
        private readonly Lock _gate = new();
        private long _burstWindow = long.MinValue;
        private int _burstCount;
        private long _steadyWindow = long.MinValue;
        private int _steadyCount;

        public RateLimitDecision TryAcquire(long nowTicks)
        {
            var burstWindow = nowTicks / _burstWindowTicks;
            var steadyWindow = nowTicks / _steadyWindowTicks;
            var steadyReset = SecondsUntil((steadyWindow + 1) * _steadyWindowTicks, nowTicks);
            lock (_gate)
            {
                if (burstWindow != _burstWindow)
                {
                    (_burstWindow, _burstCount) = (burstWindow, 0);
                }
                if (steadyWindow != _steadyWindow)
                {
                    (_steadyWindow, _steadyCount) = (steadyWindow, 0);
                }
                if (dailyLimit is { } perDay)
                {
                    var dailyWindow = nowTicks / _dailyWindowTicks;
                    if (dailyWindow != _dailyWindow)
                    {
                        (_dailyWindow, _dailyCount) = (dailyWindow, 0);
                    }
                    if (_dailyCount >= perDay)
                    {
                        return new RateLimitDecision(false, steadyLimit, 0, steadyReset, SecondsUntil((dailyWindow + 1) * _dailyWindowTicks, nowTicks));
                    }
                }
                if (_steadyCount >= steadyLimit)
                {
                    return new RateLimitDecision(false, steadyLimit, 0, steadyReset, steadyReset);
                }
                if (_burstCount >= burstLimit)
                {
                    return new RateLimitDecision(false, steadyLimit, steadyLimit - _steadyCount, steadyReset,
                        SecondsUntil((burstWindow + 1) * _burstWindowTicks, nowTicks));
                }
                _burstCount++;
                _steadyCount++;
                _dailyCount++;
                return new RateLimitDecision(true, steadyLimit, steadyLimit - _steadyCount, steadyReset, 0);
            }
        }

        private static int SecondsUntil(long endTicks, long nowTicks) =>
            Math.Max(1, (int)Math.Ceiling((endTicks - nowTicks) / (double)TimeSpan.TicksPerSecond));
    }
}
