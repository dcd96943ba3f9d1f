using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>The adaptive limiter on a fake clock: how many waiters it lets out, and when, as the allowed rate changes.</summary>
public sealed class KlaviyoEndpointPacerTests
{
    private const int Steady = 750;

    [Fact]
    public async Task Waiters_AreLetOutAtTheAllowedRate()
    {
        var (time, quota, pacer) = Create(burst: 75);
        var waiters = Enqueue(pacer, 300);

        Step(time, TimeSpan.FromSeconds(10));

        // A small bucket saved up (1% of the limit) plus 10 s at 0.9 x 98% of 750 a minute.
        var expected = 8 + (0.9 * 0.98 * Steady / 60 * 10);
        Assert.InRange(waiters.Count(w => w.IsCompletedSuccessfully), expected - 2, expected + 1);
        Assert.Equal(Steady, quota.LimitPerMinute);
        await DisposeAsync(pacer, waiters);
    }

    [Fact]
    public async Task ShareChanged_AppliesToTheWaitersThatFollow()
    {
        var share = 0.9;
        var (time, _, pacer) = Create(burst: 75, share: () => share);
        var waiters = Enqueue(pacer, 400);
        Step(time, TimeSpan.FromSeconds(10));
        var before = waiters.Count(w => w.IsCompletedSuccessfully);

        share = 0.3;
        Step(time, TimeSpan.FromSeconds(10));

        var after = waiters.Count(w => w.IsCompletedSuccessfully) - before;
        Assert.InRange(after, (0.3 * 0.98 * Steady / 6) - 2, (0.3 * 0.98 * Steady / 6) + 1);
        await DisposeAsync(pacer, waiters);
    }

    [Fact]
    public async Task TooManyRequests_HoldsEveryWaiterForRetryAfter_ThenResumesAtHalfTheRate()
    {
        var (time, quota, pacer) = Create(burst: 75);
        var waiters = Enqueue(pacer, 300);
        Step(time, TimeSpan.FromSeconds(1));
        var beforeThrottle = waiters.Count(w => w.IsCompletedSuccessfully);

        quota.RecordAnswer(quota.RecordSent(), HttpStatusCode.TooManyRequests, null, TimeSpan.FromSeconds(5));
        Step(time, TimeSpan.FromSeconds(4.9));
        Assert.Equal(beforeThrottle, waiters.Count(w => w.IsCompletedSuccessfully));

        // After the pause nothing saved up is spent at once; the rate is half, growing back.
        Step(time, TimeSpan.FromSeconds(5.1));
        var resumed = waiters.Count(w => w.IsCompletedSuccessfully) - beforeThrottle;
        var full = 0.9 * 0.98 * Steady / 60;
        Assert.InRange(resumed, full * 5 * 0.5, full * 5 * 0.75);
        await DisposeAsync(pacer, waiters);
    }

    [Fact]
    public async Task AnySecond_StaysUnderNinetyPercentOfTheBurstLimit()
    {
        // A steady limit far above the burst one: the burst cap is what holds.
        var (time, _, pacer) = Create(burst: 10, steady: 60_000);
        var waiters = Enqueue(pacer, 100);
        var granted = new List<(TimeSpan At, int Count)>();
        for (var i = 0; i < 500; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            granted.Add((time.GetElapsedTime(0), waiters.Count(w => w.IsCompletedSuccessfully)));
        }

        // Over any 1 s span, at most 9 new grants (plus the 9 granted at once at the start).
        for (var i = 100; i < granted.Count; i++)
        {
            Assert.True(granted[i].Count - granted[i - 100].Count <= 9, $"{granted[i].Count - granted[i - 100].Count} in the second before {granted[i].At}");
        }
        Assert.InRange(granted[^1].Count, 9 * 5, (9 * 5) + 9);
        await DisposeAsync(pacer, waiters);
    }

    [Fact]
    public async Task Waiters_AreServedInOrder_AndACancelledOneIsSkipped()
    {
        var (time, _, pacer) = Create(burst: 1, steady: 60);
        using var cancel = new CancellationTokenSource();
        var first = pacer.AcquireAsync(1).AsTask();
        var second = pacer.AcquireAsync(1, cancel.Token).AsTask();
        var third = pacer.AcquireAsync(1).AsTask();

        Assert.True(first.IsCompletedSuccessfully);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
        Step(time, TimeSpan.FromSeconds(1.2));

        Assert.True(third.IsCompletedSuccessfully);
        Assert.True((await third).IsAcquired);
        pacer.Dispose();
    }

    [Fact]
    public async Task Dispose_RefusesTheWaitersStillQueued()
    {
        var (_, _, pacer) = Create(burst: 1, steady: 1);
        using (pacer.AttemptAcquire())
        {
        }
        var waiting = pacer.AcquireAsync(1).AsTask();

        pacer.Dispose();

        Assert.True(waiting.IsCompleted);
        Assert.False((await waiting).IsAcquired);
    }

    private static (FakeTimeProvider Time, KlaviyoSharedQuota Quota, KlaviyoEndpointPacer Pacer) Create(int burst, int steady = Steady, Func<double>? share = null)
    {
        var time = new FakeTimeProvider();
        var quota = new KlaviyoSharedQuota(steady, time);
        return (time, quota, new KlaviyoEndpointPacer(quota, share ?? (() => 0.9), burst, time));
    }

    private static List<Task<RateLimitLease>> Enqueue(KlaviyoEndpointPacer pacer, int count) =>
        Enumerable.Range(0, count).Select(_ => pacer.AcquireAsync(1).AsTask()).ToList();

    // Small steps, as the system clock moves: the pacer's timer fires as it would.
    private static void Step(FakeTimeProvider time, TimeSpan duration)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < duration; elapsed += TimeSpan.FromMilliseconds(10))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    private static async Task DisposeAsync(KlaviyoEndpointPacer pacer, List<Task<RateLimitLease>> waiters)
    {
        pacer.Dispose();
        foreach (var lease in await Task.WhenAll(waiters))
        {
            lease.Dispose();
        }
    }
}
