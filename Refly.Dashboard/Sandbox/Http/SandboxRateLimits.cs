using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Refly.Dashboard.Sandbox.Spec;

namespace Refly.Dashboard.Sandbox.Http;

/// <summary>
/// Klaviyo's per-account, per-operation limits: a burst window per second and a steady sliding window per minute,
/// both scaled by RateLimitMultiplier. Limits that the spec ties to a parameter value get their own buckets.
/// </summary>
public sealed class SandboxRateLimits(double multiplier) : IDisposable
{
    private readonly ConcurrentDictionary<string, (RateLimiter Burst, RateLimiter Steady)> _limiters = new(StringComparer.Ordinal);

    /// <summary>Null when allowed, else the seconds to wait.</summary>
    public int? TryAcquire(SpecOperation operation, IReadOnlyDictionary<string, string> query)
    {
        var (key, limit) = Select(operation, query);
        var (burst, steady) = _limiters.GetOrAdd(key, _ => Create(limit));
        using var burstLease = burst.AttemptAcquire();
        if (!burstLease.IsAcquired)
        {
            return RetryAfter(burstLease, 1);
        }
        using var steadyLease = steady.AttemptAcquire();
        return steadyLease.IsAcquired ? null : RetryAfter(steadyLease, 60);
    }

    public void Dispose()
    {
        foreach (var (burst, steady) in _limiters.Values)
        {
            burst.Dispose();
            steady.Dispose();
        }
    }

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

    private (RateLimiter, RateLimiter) Create(RateLimit limit)
    {
        int Scale(int permits) => (int)Math.Clamp(Math.Ceiling(permits * multiplier), 1, int.MaxValue / 2);
        return (
            new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
            {
                PermitLimit = Scale(limit.PerSecond), Window = TimeSpan.FromSeconds(1), QueueLimit = 0, AutoReplenishment = true,
            }),
            new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = Scale(limit.PerMinute), Window = TimeSpan.FromMinutes(1), SegmentsPerWindow = 12, QueueLimit = 0, AutoReplenishment = true,
            }));
    }

    private static int RetryAfter(RateLimitLease lease, int fallbackSeconds) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : fallbackSeconds;
}
