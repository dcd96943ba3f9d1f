using Microsoft.Extensions.Logging;

namespace Refly.Core.Notifications;

/// <summary>What changed; subscribers reload what they show.</summary>
public abstract record ChangeEvent;

/// <summary>One or more campaigns were added, changed or removed by a sync.</summary>
public sealed record CampaignsChanged(int Count) : ChangeEvent;

/// <summary>A campaign sync finished (either way); the connection banner refreshes.</summary>
public sealed record SyncStatusChanged : ChangeEvent;

/// <summary>The Klaviyo key in use changed (saved or removed in Settings): the app bar shows the new account or demo mode.</summary>
public sealed record KlaviyoConnectionChanged : ChangeEvent;

/// <summary>
/// In-process publish/subscribe for live updates. Background work publishes; Blazor components subscribe and
/// re-render. Publishing never waits for subscribers and never fails because one of them throws.
/// </summary>
public interface IChangeNotifier
{
    /// <summary>Subscribes; dispose the result to unsubscribe.</summary>
    IDisposable Subscribe(Func<ChangeEvent, Task> handler);

    /// <summary>Hands the event to every current subscriber.</summary>
    void Publish(ChangeEvent change);
}

internal sealed class ChangeNotifier(ILogger<ChangeNotifier> logger) : IChangeNotifier
{
    private readonly Lock _gate = new();
    private volatile Subscription[] _subscribers = [];

    public IDisposable Subscribe(Func<ChangeEvent, Task> handler)
    {
        var subscription = new Subscription(this, handler);
        lock (_gate)
        {
            _subscribers = [.. _subscribers, subscription];
        }
        return subscription;
    }

    public void Publish(ChangeEvent change)
    {
        // Copy-on-write list: publishing does not lock against subscribe/unsubscribe.
        foreach (var subscription in _subscribers)
        {
            _ = InvokeAsync(subscription, change);
        }
    }

    private async Task InvokeAsync(Subscription subscription, ChangeEvent change)
    {
        try
        {
            await subscription.Handler(change).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogWarning(ex, "A change subscriber failed handling {Change}", change.GetType().Name);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription));
        }
    }

    private sealed class Subscription(ChangeNotifier owner, Func<ChangeEvent, Task> handler) : IDisposable
    {
        public Func<ChangeEvent, Task> Handler { get; } = handler;

        public void Dispose() => owner.Remove(this);
    }
}
