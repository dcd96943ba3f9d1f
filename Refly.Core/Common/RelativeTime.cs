namespace Refly.Core.Common;

/// <summary>Short relative phrases for times in tables ("in 3 h", "5 min ago").</summary>
public static class RelativeTime
{
    /// <summary>Describes <paramref name="target"/> relative to <paramref name="now"/>.</summary>
    public static string Format(DateTimeOffset target, DateTimeOffset now)
    {
        var delta = target - now;
        var future = delta >= TimeSpan.Zero;
        var span = future ? delta : -delta;
        string amount;
        if (span < TimeSpan.FromMinutes(1))
        {
            return future ? "in under a minute" : "just now";
        }
        else if (span < TimeSpan.FromHours(1))
        {
            amount = $"{(int)span.TotalMinutes} min";
        }
        else if (span < TimeSpan.FromDays(2))
        {
            amount = $"{(int)span.TotalHours} h";
        }
        else if (span < TimeSpan.FromDays(60))
        {
            amount = $"{(int)span.TotalDays} days";
        }
        else
        {
            amount = $"{(int)(span.TotalDays / 30)} months";
        }
        return future ? $"in {amount}" : $"{amount} ago";
    }
}
