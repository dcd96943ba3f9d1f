using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Refly.Core.Klaviyo;

/// <summary>
/// One client-side rate limiter per Klaviyo endpoint key for the whole process (a singleton), so that every
/// concurrent stream calling the same operation is paced together. Each limiter chains Klaviyo's steady
/// (per-minute) and burst (per-second) windows; waiters queue first in, first out and are never rejected.
/// </summary>
public sealed class KlaviyoRateLimiters : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Entry>> _limiters = new(StringComparer.Ordinal);

    /// <summary>Waits (FIFO) until a request to <paramref name="endpoint"/> may be sent.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(KlaviyoEndpoint endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var entry = _limiters.GetOrAdd(endpoint.Key, _ => new Lazy<Entry>(() => Entry.Create(endpoint))).Value;
        var lease = await entry.Chained.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            // Only happens if the queue limit were ever reached; the limits are configured so that it is not.
            lease.Dispose();
            throw new InvalidOperationException($"The client-side rate limiter for {endpoint.Key} refused a request.");
        }

        return lease;
    }

    /// <summary>Permits currently available for an endpoint key, or null when it has not been used yet.</summary>
    public long? AvailablePermits(string key) =>
        _limiters.TryGetValue(key, out var entry) && entry.IsValueCreated
            ? entry.Value.Chained.GetStatistics()?.CurrentAvailablePermits
            : null;

    public void Dispose()
    {
        foreach (var entry in _limiters.Values)
        {
            if (entry.IsValueCreated)
            {
                entry.Value.Dispose();
            }
        }
    }

    private sealed record Entry(RateLimiter Chained, RateLimiter PerMinute, RateLimiter PerSecond) : IDisposable
    {
        public static Entry Create(KlaviyoEndpoint endpoint)
        {
            // Sliding windows rather than token buckets: Klaviyo counts requests per window, and a bucket refilled
            // at a window boundary could let two bursts through back to back.
            var perMinute = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, endpoint.SteadyPerMinute),
                Window = TimeSpan.FromMinutes(1),
                SegmentsPerWindow = 6,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                QueueLimit = int.MaxValue,
                AutoReplenishment = true,
            });
            var perSecond = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, endpoint.BurstPerSecond),
                Window = TimeSpan.FromSeconds(1),
                SegmentsPerWindow = 4,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                QueueLimit = int.MaxValue,
                AutoReplenishment = true,
            });

            // Minute first: a request waiting for the steady window must not hold a burst permit meanwhile.
            return new Entry(RateLimiter.CreateChained(perMinute, perSecond), perMinute, perSecond);
        }

        public void Dispose()
        {
            Chained.Dispose();
            PerMinute.Dispose();
            PerSecond.Dispose();
        }
    }
}
