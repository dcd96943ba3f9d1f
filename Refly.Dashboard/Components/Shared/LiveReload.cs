using Refly.Core.Notifications;

namespace Refly.Dashboard.Components.Shared;

/// <summary>
/// Keeps a page or section live: when a change it cares about is published, it reloads (at most every 250 ms, on the
/// component's dispatcher), and a reload that fails reaches the component's error boundary.
/// </summary>
public sealed class LiveReload : IDisposable
{
    /// <summary>The most often a component reloads.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly Throttle _throttle;
    private readonly IDisposable _subscription;

    /// <summary>Subscribes to <paramref name="notifier"/>.</summary>
    /// <param name="notifier">Where changes are published.</param>
    /// <param name="matters">Whether a change concerns the component.</param>
    /// <param name="invokeAsync">The component's <c>InvokeAsync</c>.</param>
    /// <param name="reloadAsync">Loads and renders again (e.g. <c>LoadAsync</c> then <c>StateHasChanged</c>).</param>
    /// <param name="dispatchExceptionAsync">The component's <c>DispatchExceptionAsync</c>.</param>
    public LiveReload(
        IChangeNotifier notifier,
        Func<ChangeEvent, bool> matters,
        Func<Func<Task>, Task> invokeAsync,
        Func<Task> reloadAsync,
        Func<Exception, Task> dispatchExceptionAsync)
    {
        ArgumentNullException.ThrowIfNull(notifier);
        ArgumentNullException.ThrowIfNull(matters);
        _throttle = new Throttle(Interval, () => invokeAsync(async () =>
        {
            try
            {
                await reloadAsync();
            }
            catch (Exception ex)
            {
                await dispatchExceptionAsync(ex);
            }
        }));
        _subscription = notifier.Subscribe(change =>
        {
            if (matters(change))
            {
                _throttle.Signal();
            }
            return Task.CompletedTask;
        });
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _subscription.Dispose();
        _throttle.Dispose();
    }
}
