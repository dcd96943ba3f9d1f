using System.Collections.Concurrent;

namespace Refly.Core.Klaviyo;

/// <summary>Counters for one Klaviyo endpoint key.</summary>
/// <param name="RequestsSent">HTTP attempts sent (retries included).</param>
/// <param name="RateLimited">429 answers received.</param>
/// <param name="Retries">Attempts retried by the resilience pipeline.</param>
/// <param name="LastRateLimitedAt">When the last 429 arrived.</param>
/// <param name="PacingWait">Total time attempts spent waiting for the client-side rate limiter.</param>
/// <param name="RateLimitWait">Total time calls spent waiting on Klaviyo's 429s (the delays the client chose or Retry-After asked for).</param>
public sealed record KlaviyoEndpointStats(
    long RequestsSent, long RateLimited, long Retries, DateTimeOffset? LastRateLimitedAt, TimeSpan PacingWait, TimeSpan RateLimitWait = default);

/// <summary>
/// Process-wide counters of the Klaviyo client (a singleton), for diagnostics pages and tests.
/// Keys are the <see cref="KlaviyoEndpoint.Key"/> of each operation.
/// </summary>
public sealed class KlaviyoClientStats(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, Counters> _counters = new(StringComparer.Ordinal);

    /// <summary>The clock used for <see cref="KlaviyoEndpointStats.LastRateLimitedAt"/> and pacing waits.</summary>
    internal TimeProvider TimeProvider => timeProvider;

    /// <summary>Total attempts sent over all endpoints.</summary>
    public long TotalRequestsSent => _counters.Values.Sum(c => Interlocked.Read(ref c.Sent));

    /// <summary>Total 429 answers over all endpoints.</summary>
    public long TotalRateLimited => _counters.Values.Sum(c => Interlocked.Read(ref c.RateLimited));

    /// <summary>Total retries over all endpoints.</summary>
    public long TotalRetries => _counters.Values.Sum(c => Interlocked.Read(ref c.Retries));

    /// <summary>Counters per endpoint key at this moment.</summary>
    public IReadOnlyDictionary<string, KlaviyoEndpointStats> Snapshot() =>
        _counters.ToDictionary(
            kv => kv.Key,
            kv => new KlaviyoEndpointStats(
                Interlocked.Read(ref kv.Value.Sent),
                Interlocked.Read(ref kv.Value.RateLimited),
                Interlocked.Read(ref kv.Value.Retries),
                kv.Value.LastRateLimitedAt,
                TimeSpan.FromTicks(Interlocked.Read(ref kv.Value.PacingWaitTicks)),
                TimeSpan.FromTicks(Interlocked.Read(ref kv.Value.RateLimitWaitTicks))),
            StringComparer.Ordinal);

    /// <summary>Counters of one endpoint key (zeros when unused).</summary>
    public KlaviyoEndpointStats For(string key) =>
        Snapshot().TryGetValue(key, out var stats) ? stats : new KlaviyoEndpointStats(0, 0, 0, null, TimeSpan.Zero);

    internal void RecordSent(string key) => Interlocked.Increment(ref Get(key).Sent);

    internal void RecordRateLimited(string key)
    {
        var counters = Get(key);
        Interlocked.Increment(ref counters.RateLimited);
        counters.LastRateLimitedAt = timeProvider.GetUtcNow();
    }

    internal void RecordPacingWait(string key, TimeSpan wait) => Interlocked.Add(ref Get(key).PacingWaitTicks, wait.Ticks);

    internal void RecordRateLimitWait(string key, TimeSpan wait) => Interlocked.Add(ref Get(key).RateLimitWaitTicks, wait.Ticks);

    internal void RecordRetry(string key) => Interlocked.Increment(ref Get(key).Retries);

    private Counters Get(string key) => _counters.GetOrAdd(key, _ => new Counters());

    private sealed class Counters
    {
        public long Sent;
        public long RateLimited;
        public long Retries;
        public long PacingWaitTicks;
        public long RateLimitWaitTicks;
        public DateTimeOffset? LastRateLimitedAt;
    }
}
