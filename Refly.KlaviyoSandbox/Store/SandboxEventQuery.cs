namespace Refly.KlaviyoSandbox.Store;

/// <summary>Where an event sits in the account's order: time, then send, then its index in the send. A total order.</summary>
public readonly record struct EventKey(long UnixSeconds, int Send, int Index) : IComparable<EventKey>
{
    public int CompareTo(EventKey other) =>
        UnixSeconds != other.UnixSeconds ? UnixSeconds.CompareTo(other.UnixSeconds)
        : Send != other.Send ? Send.CompareTo(other.Send)
        : Index.CompareTo(other.Index);
}

/// <summary>What get_events asks for: bounds in whole seconds (inclusive), an optional metric and profile, a direction and a cursor.</summary>
public sealed record EventFilter(long FromUnix, long ToUnix, byte? Metric, long? ProfileIndex, bool Descending, EventKey? After);

/// <summary>One event of a page: its send, its index there and its key.</summary>
public readonly record struct EventHit(SandboxCampaignSend Send, int Index, EventKey Key)
{
    public EmailEventRecord Record => Send.Events[Index];
}

/// <summary>
/// Pages through every send's events in datetime order without materializing them: each send's array is sorted by
/// time, so a page is a k-way merge that starts after the cursor (found by binary search) and stops after
/// <c>pageSize</c> hits. Cost per page: the events it skips or returns, never the account's total.
/// </summary>
public static class SandboxEventQuery
{
    /// <summary>Up to <paramref name="pageSize"/> hits and whether another one follows.</summary>
    public static (List<EventHit> Hits, bool More) Page(IReadOnlyList<SandboxCampaignSend> sends, EventFilter filter, int pageSize)
    {
        var cursors = new List<SendCursor>(sends.Count);
        foreach (var send in sends)
        {
            var profilePosition = -1;
            if (filter.ProfileIndex is { } profile)
            {
                profilePosition = send.PositionOf(profile);
                if (profilePosition < 0)
                {
                    continue;
                }
            }
            var position = Start(send, filter);
            cursors.Add(new SendCursor(send, position, profilePosition));
        }

        var hits = new List<EventHit>(Math.Min(pageSize, 1024));
        while (true)
        {
            SendCursor? best = null;
            EventKey bestKey = default;
            foreach (var c in cursors)
            {
                if (!Advance(c, filter))
                {
                    continue;
                }
                var key = new EventKey(c.Send.UnixSecondsOf(c.Send.Events[c.Position]), c.Send.Ordinal, c.Position);
                if (best is null || (filter.Descending ? key.CompareTo(bestKey) > 0 : key.CompareTo(bestKey) < 0))
                {
                    (best, bestKey) = (c, key);
                }
            }
            if (best is null)
            {
                return (hits, false);
            }
            if (hits.Count == pageSize)
            {
                return (hits, true);
            }
            hits.Add(new EventHit(best.Send, best.Position, bestKey));
            best.Position += filter.Descending ? -1 : 1;
        }
    }

    // Moves the cursor to its next event that matches the metric and profile; false when none is left within the bounds.
    private static bool Advance(SendCursor c, EventFilter filter)
    {
        var events = c.Send.Events;
        var step = filter.Descending ? -1 : 1;
        for (; c.Position >= 0 && c.Position < events.Length; c.Position += step)
        {
            var e = events[c.Position];
            var unix = c.Send.UnixSecondsOf(e);
            if (filter.Descending ? unix < filter.FromUnix : unix > filter.ToUnix)
            {
                return false;
            }
            if ((filter.Metric is { } metric && e.Metric != metric) || (c.ProfilePosition >= 0 && e.Recipient != c.ProfilePosition))
            {
                continue;
            }
            return true;
        }
        return false;
    }

    private static int Start(SandboxCampaignSend send, EventFilter filter)
    {
        if (!filter.Descending)
        {
            var from = filter.FromUnix;
            var start = FirstAtOrAfter(send, from);
            if (filter.After is { } after)
            {
                // Strictly after the cursor's key: later seconds, or the same second in a later send, or a later index.
                var bySeconds = send.Ordinal == after.Send ? after.Index + 1
                    : send.Ordinal > after.Send ? FirstAtOrAfter(send, after.UnixSeconds)
                    : FirstAtOrAfter(send, after.UnixSeconds + 1);
                start = Math.Max(start, bySeconds);
            }
            return start;
        }
        var last = FirstAtOrAfter(send, filter.ToUnix + 1) - 1;
        if (filter.After is { } before)
        {
            // Strictly before the cursor's key, mirrored.
            var bySeconds = send.Ordinal == before.Send ? before.Index - 1
                : send.Ordinal < before.Send ? FirstAtOrAfter(send, before.UnixSeconds + 1) - 1
                : FirstAtOrAfter(send, before.UnixSeconds) - 1;
            last = Math.Min(last, bySeconds);
        }
        return last;
    }

    /// <summary>Index of the first event at or after <paramref name="unixSeconds"/> (the array's length when none).</summary>
    private static int FirstAtOrAfter(SandboxCampaignSend send, long unixSeconds)
    {
        var target = unixSeconds - send.SendUnixSeconds;
        var events = send.Events;
        int lo = 0, hi = events.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (events[mid].Seconds < target)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private sealed class SendCursor(SandboxCampaignSend send, int position, int profilePosition)
    {
        public SandboxCampaignSend Send { get; } = send;
        public int Position { get; set; } = position;
        public int ProfilePosition { get; } = profilePosition;
    }
}
