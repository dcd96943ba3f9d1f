using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Refly.Core.Klaviyo;

/// <summary>
/// One client-side rate limiter per Klaviyo endpoint key for the whole process (a singleton), so that every
/// concurrent stream calling the same operation is paced together. Each paces from Klaviyo's <c>RateLimit-*</c>
/// headers, not only from the published limit: the account's other private-key integrations share the limit, so Refly
/// takes at most <see cref="KlaviyoOptions.RateLimitShare"/> of it minus what it sees them use (see
/// <see cref="KlaviyoSharedQuota"/>), backs off further on a 429 and recovers when they stop. Waiters queue first in,
/// first out and are never rejected.
/// </summary>
public sealed class KlaviyoRateLimiters : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Entry>> _limiters = new(StringComparer.Ordinal);
    private readonly double _scale;
    private readonly Func<double> _share;
    private readonly TimeProvider _time;

    /// <summary>Limiters at Klaviyo's published limits with the default share, on the system clock.</summary>
    public KlaviyoRateLimiters()
        : this(1.0, () => KlaviyoOptions.DefaultRateLimitShare, TimeProvider.System)
    {
    }

    /// <summary>
    /// Limiters at the published limits times <see cref="KlaviyoOptions.RateLimitScale"/>, taking the current
    /// <see cref="KlaviyoOptions.RateLimitShare"/> (a change saved in Settings applies to the next request).
    /// </summary>
    public KlaviyoRateLimiters(IOptionsMonitor<KlaviyoOptions> options, TimeProvider timeProvider)
        : this(options?.CurrentValue.RateLimitScale ?? throw new ArgumentNullException(nameof(options)), () => options.CurrentValue.RateLimitShare, timeProvider)
    {
    }

    internal KlaviyoRateLimiters(double scale, Func<double> share, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(share);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _scale = scale > 0 ? scale : 1.0;
        _share = share;
        _time = timeProvider;
    }

    /// <summary>Waits (FIFO) until a request to <paramref name="endpoint"/> may be sent.</summary>
    public async ValueTask<RateLimitLease> AcquireAsync(KlaviyoEndpoint endpoint, CancellationToken cancellationToken)
    {
        var lease = await Get(endpoint).Pacer.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            // Only when the limiters are disposed while a request waits (the host is stopping).
            lease.Dispose();
            throw new InvalidOperationException($"The client-side rate limiter for {endpoint.Key} refused a request.");
        }

        return lease;
    }

    /// <summary>A request to <paramref name="endpoint"/> leaves; pass the ticket to <see cref="RecordAnswer"/> or <see cref="RecordNoAnswer"/>.</summary>
    internal long RecordSent(KlaviyoEndpoint endpoint) => Get(endpoint).Quota.RecordSent();

    /// <summary>Klaviyo answered: its RateLimit-* headers (or a 429's Retry-After) adjust the endpoint's pace.</summary>
    internal void RecordAnswer(KlaviyoEndpoint endpoint, long ticket, HttpResponseMessage response)
    {
        KlaviyoRateLimitState? state = KlaviyoRateLimitState.TryRead(response, out var read) ? read : null;
        var retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - _time.GetUtcNow(),
            _ => (TimeSpan?)null,
        };
        Get(endpoint).Quota.RecordAnswer(ticket, response.StatusCode, state, retryAfter);
    }

    /// <summary>A request got no answer (network error, timeout, cancellation).</summary>
    internal void RecordNoAnswer(KlaviyoEndpoint endpoint, long ticket) => Get(endpoint).Quota.RecordNoAnswer(ticket);

    /// <summary>Permits currently available for an endpoint key, or null when it has not been used yet.</summary>
    public long? AvailablePermits(string key) =>
        _limiters.TryGetValue(key, out var entry) && entry.IsValueCreated
            ? entry.Value.Pacer.GetStatistics()?.CurrentAvailablePermits
            : null;

    /// <summary>How an endpoint key is paced now, or null when it has not been used yet.</summary>
    public KlaviyoPacingState? PacingState(string key) =>
        _limiters.TryGetValue(key, out var entry) && entry.IsValueCreated
            ? entry.Value.Quota.Snapshot(entry.Value.Pacer.Share)
            : null;

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var entry in _limiters.Values)
        {
            if (entry.IsValueCreated)
            {
                entry.Value.Pacer.Dispose();
            }
        }
    }

    private Entry Get(KlaviyoEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return _limiters.GetOrAdd(endpoint.Key, _ => new Lazy<Entry>(() =>
        {
            var quota = new KlaviyoSharedQuota(endpoint.SteadyPerMinute * _scale, _time);
            return new Entry(new KlaviyoEndpointPacer(quota, _share, endpoint.BurstPerSecond * _scale, _time), quota);
        })).Value;
    }

    private sealed record Entry(KlaviyoEndpointPacer Pacer, KlaviyoSharedQuota Quota);
}
