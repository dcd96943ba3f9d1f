using System.ComponentModel.DataAnnotations;

namespace Refly.Core.Impact.Holdouts;

/// <summary>How holdout results are read from Klaviyo's events (configuration section <c>Impact:Holdouts</c>).</summary>
public sealed class HoldoutOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Impact:Holdouts";

    /// <summary>How long after the send events count (opens and orders after it are not attributed to this send).</summary>
    public TimeSpan EventWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>When after the send the events are read again (each once).</summary>
    public List<TimeSpan> RefreshAfterSend { get; set; } = [TimeSpan.FromHours(2), TimeSpan.FromHours(24), TimeSpan.FromHours(72), TimeSpan.FromDays(7)];

    /// <summary>How often the job looks for campaigns whose next read is due.</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The timeline's step (cumulative rates at the end of each).</summary>
    public TimeSpan TimelineBucket { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Events written to SQLite per transaction (pages are filtered first, so a batch may hold several pages).</summary>
    [Range(100, 100_000)]
    public int InsertBatchSize { get; set; } = 5_000;

    /// <summary>The first scheduled read after <paramref name="sendTime"/> that is later than <paramref name="after"/>; null when none is left.</summary>
    public DateTimeOffset? NextRefresh(DateTimeOffset sendTime, DateTimeOffset after) =>
        RefreshAfterSend.Order().Select(offset => sendTime + offset).Where(at => at > after).Select(at => (DateTimeOffset?)at).FirstOrDefault();
}
