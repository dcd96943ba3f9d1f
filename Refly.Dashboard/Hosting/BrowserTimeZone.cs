using Microsoft.JSInterop;

namespace Refly.Dashboard.Hosting;

/// <summary>
/// The browser's time zone for this circuit, so send times show in the marketer's local time. Until the browser
/// has answered (e.g. during prerendering) times show in UTC.
/// </summary>
public sealed class BrowserTimeZone(IJSRuntime js, ILogger<BrowserTimeZone> logger)
{
    private TimeZoneInfo _zone = TimeZoneInfo.Utc;

    public bool IsResolved { get; private set; }

    public DateTimeOffset ToLocal(DateTimeOffset value) => TimeZoneInfo.ConvertTime(value, _zone);

    /// <summary>Asks the browser once; returns whether the zone changed (the caller re-renders).</summary>
    public async Task<bool> ResolveAsync()
    {
        if (IsResolved)
        {
            return false;
        }
        try
        {
            var id = await js.InvokeAsync<string>("refly.timeZone");
            IsResolved = true;
            if (!string.IsNullOrEmpty(id) && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.Id != _zone.Id)
            {
                _zone = zone;
                return true;
            }
        }
        catch (JSException ex)
        {
            logger.LogDebug(ex, "The browser did not report its time zone; showing UTC");
            IsResolved = true;
        }
        return false;
    }
}
