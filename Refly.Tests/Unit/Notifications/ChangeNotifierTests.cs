using Microsoft.Extensions.Logging.Abstractions;
using Refly.Core.Notifications;

namespace Refly.Tests.Unit.Notifications;

public sealed class ChangeNotifierTests
{
    private readonly ChangeNotifier _notifier = new(NullLogger<ChangeNotifier>.Instance);

    [Fact]
    public void Publish_ReachesEverySubscriber()
    {
        var seen = new List<string>();
        using var a = _notifier.Subscribe(c => { seen.Add("a:" + c.GetType().Name); return Task.CompletedTask; });
        using var b = _notifier.Subscribe(c => { seen.Add("b:" + c.GetType().Name); return Task.CompletedTask; });

        _notifier.Publish(new CampaignsChanged(1));

        Assert.Equal(["a:CampaignsChanged", "b:CampaignsChanged"], seen.Order());
    }

    [Fact]
    public void Publish_AfterUnsubscribe_DoesNotReachDisposedSubscriber()
    {
        var count = 0;
        var subscription = _notifier.Subscribe(_ => { count++; return Task.CompletedTask; });
        _notifier.Publish(new CampaignsChanged(1));
        subscription.Dispose();
        _notifier.Publish(new CampaignsChanged(1));

        Assert.Equal(1, count);
    }

    [Fact]
    public void Publish_WhenOneSubscriberThrows_OthersStillReceive()
    {
        var received = false;
        using var failing = _notifier.Subscribe(_ => throw new InvalidOperationException("boom"));
        using var healthy = _notifier.Subscribe(_ => { received = true; return Task.CompletedTask; });

        _notifier.Publish(new SyncStatusChanged());

        Assert.True(received);
    }
}
