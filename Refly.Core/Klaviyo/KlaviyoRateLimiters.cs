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
    private const double SteadyHeadroom = 0.98;
    private static readonly TimeSpan _refillPeriod = TimeSpan.FromMilliseconds(50);
    private readonly double _scale;

    /// <summary>Limiters at Klaviyo's published limits.</summary>
    public KlaviyoRateLimiters()
        : this(1.0)
    {
    }

    /// <summary>Limiters at the published limits times <see cref="KlaviyoOptions.RateLimitScale"/>.</summary>
    public KlaviyoRateLimiters(Microsoft.Extensions.Options.IOptions<KlaviyoOptions> options)
        : this(options.Value.RateLimitScale)
    {
    }

    private KlaviyoRateLimiters(double scale) => _scale = scale > 0 ? scale : 1.0;

    /// <summary>Waits (FIFO) until a request to <paramref name="endpoint"/> may be sent.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(KlaviyoEndpoint endpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var entry = _limiters.GetOrAdd(endpoint.Key, _ => new Lazy<Entry>(() => Entry.Create(endpoint, _scale))).Value;
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
        public static Entry Create(KlaviyoEndpoint endpoint, double scale)
        {
            // Steady limit: a token bucket refilled evenly at 98% of the published rate with a small bucket, so requests
            // flow smoothly instead of spending a minute's allowance in the first seconds. Whatever window Klaviyo counts
            // in (fixed or sliding, any phase), a smooth flow stays under it, so 429s stay rare while throughput stays
            // within a few percent of the ceiling.
            var perSecondRate = Math.Max(1e-3, endpoint.SteadyPerMinute * scale * SteadyHeadroom / 60.0);
            var (period, tokens) = perSecondRate * _refillPeriod.TotalSeconds >= 1
                ? (_refillPeriod, (int)Math.Round(perSecondRate * _refillPeriod.TotalSeconds))
                : (TimeSpan.FromSeconds(1 / perSecondRate), 1);
            var perMinute = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = Math.Max(tokens, (int)(endpoint.SteadyPerMinute * scale * 0.01)),
                TokensPerPeriod = tokens,
                ReplenishmentPeriod = period,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                QueueLimit = int.MaxValue,
                AutoReplenishment = true,
            });
            // Burst limit: a sliding second with a margin, for endpoints whose burst is reached before the steady rate.
            var perSecond = new SlidingWindowRateLimiter(new SlidingWindowRateLimiterOptions
            {
                PermitLimit = Math.Max(1, (int)(endpoint.BurstPerSecond * scale * 0.9)),
                Window = TimeSpan.FromSeconds(1),
                SegmentsPerWindow = 10,
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
