using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>
/// What Klaviyo records when a campaign is sent: Received, Opened and Clicked Email for each recipient and Placed Order
/// attributed to the message. A campaign that becomes Sent is captured as it is then (its messages, which refly_
/// properties they look up, its audience), and its events are generated once, outside the campaign lock, from the
/// profiles as they are at that moment: a recipient whose profile holds the message's refly_ properties gets the
/// uplift. Deterministic for a given <see cref="Seed"/>, campaign name, send time and audience.
/// </summary>
public sealed partial class SandboxStore
{
    private static readonly TimeSpan _sendingWindow = TimeSpan.FromMinutes(10);
    private readonly ConcurrentQueue<PendingSend> _pendingSends = new();
    private readonly Lock _sendsGate = new();
    private volatile SandboxCampaignSend[] _sends = [];
    private SandboxEmailRates _emailRates = new();

    /// <summary>Rates of the sends generated from now on.</summary>
    public SandboxEmailRates EmailRates
    {
        get => Volatile.Read(ref _emailRates);
        set => Volatile.Write(ref _emailRates, value ?? throw new ArgumentNullException(nameof(value)));
    }

    /// <summary>Every campaign send with its events, generating any that became Sent since the last call.</summary>
    public IReadOnlyList<SandboxCampaignSend> GetCampaignSends()
    {
        GeneratePendingSends();
        return _sends;
    }

    /// <summary>The send of a campaign, or null when it has not been sent.</summary>
    public SandboxCampaignSend? GetCampaignSend(string campaignId) =>
        GetCampaignSends().FirstOrDefault(s => string.Equals(s.CampaignId, campaignId, StringComparison.Ordinal));

    /// <summary>Called under <c>_gate</c> when a campaign's status becomes Sent: captures what Klaviyo sent.</summary>
    private void CaptureSendLocked(SandboxCampaign c)
    {
        var messages = c.Messages.Select(m =>
        {
            var text = $"{m.Subject}\n{m.PreviewText}\n{(m.TemplateId is { } t && _templates.TryGetValue(t, out var template) ? template.Html + template.Text : "")}";
            var names = ReflyProperty().Matches(text).Select(x => x.Value).ToHashSet(StringComparer.Ordinal);
            return new SentMessage(m.Id, m.Label, m.Subject, names.Count > 0, names);
        }).ToList();
        var sendTime = c.SendTime ?? c.SendDatetime ?? Now;
        _pendingSends.Enqueue(new PendingSend(c.Id, c.Name, DateTimeOffset.FromUnixTimeSeconds(sendTime.ToUnixTimeSeconds()), messages, [.. c.Included], [.. c.Excluded]));
    }

    private void GeneratePendingSends()
    {
        if (_pendingSends.IsEmpty)
        {
            return;
        }
        // One generator at a time: sends keep their order and a campaign is generated once.
        lock (_sendsGate)
        {
            while (_pendingSends.TryDequeue(out var pending))
            {
                if (_sends.Any(s => s.CampaignId == pending.CampaignId) || pending.Messages.Count == 0)
                {
                    continue;
                }
                _sends = [.. _sends, Generate(_sends.Length, pending)];
            }
        }
    }

    private SandboxCampaignSend Generate(int ordinal, PendingSend send)
    {
        var rates = EmailRates;
        var recipients = AudienceIndices(send.Included, send.Excluded);
        // Keyed on what the marketer sees (name and send time), not the random campaign id: the same scenario with the
        // same seed yields the same events in every sandbox.
        var campaignKey = StableHash(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{send.CampaignName}|{send.SendTime.ToUnixTimeSeconds()}"));
        var personalized = new int[send.Messages.Count];
        var events = new List<EmailEventRecord>(recipients.Length + (int)(recipients.Length * rates.Open * 1.5) + 16);
        var windowSeconds = (int)_sendingWindow.TotalSeconds;
        for (var r = 0; r < recipients.Length; r++)
        {
            var index = recipients[r];
            var messageIndex = r % send.Messages.Count;
            var message = send.Messages[messageIndex];
            var lift = 1.0;
            if (message.UsesReflyProperties && HoldsAny(index, message.ReflyProperties))
            {
                personalized[messageIndex]++;
                lift += rates.Uplift;
            }
            var received = recipients.Length <= 1 ? 0 : (int)((long)r * windowSeconds / recipients.Length);
            events.Add(new EmailEventRecord(r, received, 0, SandboxMetrics.ReceivedEmail));
            if (Dice(campaignKey, index, 1) >= Math.Min(1, rates.Open * lift))
            {
                continue;
            }
            // Opens follow an exponential decay (mean 6 hours), capped at a week, as campaign opens do.
            var opened = received + 1 + (int)Math.Min(7 * 86_400, -Math.Log(1 - Dice(campaignKey, index, 2)) * 6 * 3_600);
            events.Add(new EmailEventRecord(r, opened, 0, SandboxMetrics.OpenedEmail));
            if (Dice(campaignKey, index, 3) >= Math.Min(1, rates.ClickGivenOpen * lift))
            {
                continue;
            }
            var clicked = opened + 5 + (int)(Dice(campaignKey, index, 4) * 1_800);
            events.Add(new EmailEventRecord(r, clicked, 0, SandboxMetrics.ClickedEmail));
            if (Dice(campaignKey, index, 5) >= Math.Min(1, rates.OrderGivenClick * lift))
            {
                continue;
            }
            var ordered = clicked + 60 + (int)(Dice(campaignKey, index, 6) * 6 * 3_600);
            var cents = (ushort)(1_500 + (int)(Dice(campaignKey, index, 7) * 20_000));
            events.Add(new EmailEventRecord(r, ordered, cents, SandboxMetrics.PlacedOrder));
        }
        var array = events.ToArray();
        events = null;
        Array.Sort(array, static (a, b) =>
            a.Seconds != b.Seconds ? a.Seconds.CompareTo(b.Seconds) : a.Metric != b.Metric ? a.Metric.CompareTo(b.Metric) : a.Recipient.CompareTo(b.Recipient));
        return new SandboxCampaignSend(ordinal, send.CampaignId, send.CampaignName, send.SendTime, send.Messages, recipients, array, personalized);
    }

    private bool HoldsAny(long index, IReadOnlySet<string> names)
    {
        if (!_written.TryGetValue(index, out var profile))
        {
            return false;
        }
        lock (profile)
        {
            foreach (var name in names)
            {
                if (profile.Properties.TryGetValue(name, out var value) && value is not null && !(value is string s && s.Length == 0))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>Profile indices of an audience (included groups minus excluded ones), ascending, each once.</summary>
    private long[] AudienceIndices(IReadOnlyList<string> includedIds, IReadOnlyList<string> excludedIds)
    {
        var included = includedIds.Select(GetGroup).OfType<SandboxGroup>().ToList();
        var excluded = excludedIds.Select(GetGroup).OfType<SandboxGroup>().ToList();
        var ranges = Merge(included.Where(g => g.GeneratedCount > 0).Select(g => (g.GeneratedStart, g.GeneratedStart + g.GeneratedCount)));
        var minus = Merge(excluded.Where(g => g.GeneratedCount > 0).Select(g => (g.GeneratedStart, g.GeneratedStart + g.GeneratedCount)));
        var excludedExplicit = new HashSet<long>();
        foreach (var g in excluded)
        {
            lock (g.ExplicitMembers)
            {
                excludedExplicit.UnionWith(g.ExplicitMembers);
            }
        }
        bool IsExcluded(long i) => excludedExplicit.Contains(i) || minus.Any(x => i >= x.From && i < x.To);

        var result = new List<long>();
        foreach (var (from, to) in ranges)
        {
            var i = from;
            while (i < to)
            {
                // Skip an excluded range at once rather than testing each member of it.
                var cut = minus.FirstOrDefault(x => i >= x.From && i < x.To);
                if (cut != default)
                {
                    i = cut.To;
                    continue;
                }
                if (!excludedExplicit.Contains(i))
                {
                    result.Add(i);
                }
                i++;
            }
        }
        var explicitMembers = new SortedSet<long>();
        foreach (var g in included)
        {
            lock (g.ExplicitMembers)
            {
                explicitMembers.UnionWith(g.ExplicitMembers);
            }
        }
        foreach (var i in explicitMembers)
        {
            if (!IsExcluded(i) && !ranges.Any(x => i >= x.From && i < x.To))
            {
                result.Add(i);
            }
        }
        var array = result.ToArray();
        Array.Sort(array);
        return array;
    }

    /// <summary>A uniform draw in [0, 1) for (seed, campaign, profile, stage): SplitMix64 of the combination.</summary>
    private double Dice(ulong campaignKey, long index, int stage)
    {
        var x = campaignKey ^ ((ulong)Seed * 0x9E3779B97F4A7C15UL) ^ ((ulong)index * 0xBF58476D1CE4E5B9UL) ^ ((ulong)stage * 0x94D049BB133111EBUL);
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return (x >> 11) * (1.0 / (1UL << 53));
    }

    // string.GetHashCode is randomized per process; the dice must not be.
    private static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 1099511628211UL;
        }
        return hash;
    }

    [GeneratedRegex(@"refly_[A-Za-z0-9_]+")]
    private static partial Regex ReflyProperty();

    private sealed record PendingSend(string CampaignId, string CampaignName, DateTimeOffset SendTime, IReadOnlyList<SentMessage> Messages,
        IReadOnlyList<string> Included, IReadOnlyList<string> Excluded);
}
