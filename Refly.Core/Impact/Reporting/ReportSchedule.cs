namespace Refly.Core.Impact.Reporting;

/// <summary>When a Sent campaign's report is read: 2 h, 24 h, 72 h and 7 days after the send, then it is done.</summary>
public static class ReportSchedule
{
    /// <summary>The steps after the send time.</summary>
    public static IReadOnlyList<TimeSpan> Steps { get; } =
        [TimeSpan.FromHours(2), TimeSpan.FromHours(24), TimeSpan.FromHours(72), TimeSpan.FromDays(7)];

    /// <summary>Results are not asked for before the first step: Klaviyo's numbers need the opens of the first hours.</summary>
    public static TimeSpan FirstStep => Steps[0];

    /// <summary>
    /// The first step after <paramref name="lastFetchedAt"/> (the first step when nothing was fetched yet); null once a
    /// report was read after the last step. A step already in the past is due at once (a campaign sent days before
    /// Refly first saw it is read at start-up, then at the next step still ahead).
    /// </summary>
    public static DateTimeOffset? NextDue(DateTimeOffset sentAt, DateTimeOffset? lastFetchedAt)
    {
        foreach (var step in Steps)
        {
            var due = sentAt + step;
            if (lastFetchedAt is not { } fetched || fetched < due)
            {
                return due;
            }
        }
        return null;
    }
}
