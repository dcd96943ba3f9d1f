using Microsoft.Extensions.Time.Testing;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class AdaptiveConcurrencyTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Grows_WhileLatencyHolds_UpToTheMax()
    {
        var limiter = new AdaptiveConcurrency(max: 10, initial: 2, _time);

        for (var i = 0; i < 30; i++)
        {
            var lease = await limiter.AcquireAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            limiter.OnSuccess(lease, outputTokens: 100);
        }

        Assert.Equal(10, limiter.Limit);
    }

    [Fact]
    public async Task DoesNotGrow_WhenLatencyPerTokenDoubles()
    {
        var limiter = new AdaptiveConcurrency(max: 10, initial: 2, _time);
        var first = await limiter.AcquireAsync(CancellationToken.None);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.OnSuccess(first, outputTokens: 100);
        var grown = limiter.Limit;

        for (var i = 0; i < 5; i++)
        {
            var lease = await limiter.AcquireAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(300));
            limiter.OnSuccess(lease, outputTokens: 100);
        }

        Assert.Equal(grown, limiter.Limit);
    }

    [Fact]
    public async Task Overload_HalvesOncePerRound_PausesForRetryAfter_ThenRecovers()
    {
        var limiter = new AdaptiveConcurrency(max: 16, initial: 8, _time);
        var leases = new List<AdaptiveConcurrency.Lease>();
        for (var i = 0; i < 8; i++)
        {
            leases.Add(await limiter.AcquireAsync(CancellationToken.None));
        }

        // Every call of the round is throttled: the limit halves once, not eight times.
        foreach (var lease in leases)
        {
            limiter.OnOverload(lease, TimeSpan.FromSeconds(5));
        }
        Assert.Equal(4, limiter.Limit);
        Assert.Equal(1, limiter.Backoffs);

        // Nothing starts before the Retry-After has passed.
        var waiting = limiter.AcquireAsync(CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(5));
        var next = await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        // Then it grows again (by one per limit's worth of good calls above the threshold).
        _time.Advance(TimeSpan.FromMilliseconds(100));
        limiter.OnSuccess(next, 100);
        for (var i = 0; i < 20; i++)
        {
            var lease = await limiter.AcquireAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(100));
            limiter.OnSuccess(lease, 100);
        }
        Assert.True(limiter.Limit > 4, $"limit {limiter.Limit}");
    }

    [Fact]
    public async Task Acquire_WaitsForAFreeSlot()
    {
        var limiter = new AdaptiveConcurrency(max: 1, initial: 1, _time);
        var held = await limiter.AcquireAsync(CancellationToken.None);

        var waiting = limiter.AcquireAsync(CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        limiter.OnOtherOutcome(held);

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, limiter.InFlight);
    }
}
