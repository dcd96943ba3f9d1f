using Microsoft.Extensions.Time.Testing;
using Refly.Core.Notifications;

namespace Refly.Tests.Unit.Notifications;

public sealed class ThrottleTests
{
    [Fact]
    public async Task Signal_BurstWithinInterval_RunsActionOnce()
    {
        var time = new FakeTimeProvider();
        var runs = 0;
        using var throttle = new Throttle(TimeSpan.FromMilliseconds(200), () => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, time);

        for (var i = 0; i < 100; i++)
        {
            throttle.Signal();
        }
        Assert.Equal(0, runs);

        time.Advance(TimeSpan.FromMilliseconds(200));
        await WaitUntilAsync(() => runs == 1);
        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task Signal_AfterActionRan_SchedulesAnotherRun()
    {
        var time = new FakeTimeProvider();
        var runs = 0;
        using var throttle = new Throttle(TimeSpan.FromMilliseconds(100), () => { Interlocked.Increment(ref runs); return Task.CompletedTask; }, time);

        throttle.Signal();
        time.Advance(TimeSpan.FromMilliseconds(100));
        await WaitUntilAsync(() => runs == 1);

        throttle.Signal();
        time.Advance(TimeSpan.FromMilliseconds(100));
        await WaitUntilAsync(() => runs == 2);
        Assert.Equal(2, runs);
    }

    [Fact]
    public async Task Dispose_WithPendingSignal_NeverRunsAction()
    {
        var time = new FakeTimeProvider();
        var runs = 0;
        var throttle = new Throttle(TimeSpan.FromMilliseconds(100), () => { runs++; return Task.CompletedTask; }, time);

        throttle.Signal();
        throttle.Dispose();
        time.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(50);

        Assert.Equal(0, runs);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }
}
