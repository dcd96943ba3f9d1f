using System.Runtime.InteropServices;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>
/// One generated email event, 11 bytes: who (the recipient's position in its send), when (seconds after the send),
/// which metric, and the order value. Everything else an event answers (its id, profile, message, datetime) is derived
/// from the send it belongs to, so 1,000,000 recipients' events fit in a few tens of megabytes.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public readonly record struct EmailEventRecord(int Recipient, int Seconds, ushort ValueCents, byte Metric);

/// <summary>A message of a sent campaign as it was at send time.</summary>
/// <param name="Id">The campaign message id (what <c>$message</c> carries).</param>
/// <param name="Label">The message's label (the A/B variation name).</param>
/// <param name="Subject">The subject at send time.</param>
/// <param name="UsesReflyProperties">Its subject, preview or template looked up a <c>refly_</c> property at send time.</param>
/// <param name="ReflyProperties">The <c>refly_</c> property names it looked up.</param>
public sealed record SentMessage(string Id, string? Label, string? Subject, bool UsesReflyProperties, IReadOnlySet<string> ReflyProperties);

/// <summary>Base rates of a send and the relative uplift for recipients whose profile held the message's refly_ properties.</summary>
/// <param name="Open">Share of recipients who open.</param>
/// <param name="ClickGivenOpen">Share of openers who click.</param>
/// <param name="OrderGivenClick">Share of clickers who place an order attributed to the message.</param>
/// <param name="Uplift">Relative uplift of each of the three for a personalized recipient (0.2 = 20% more likely).</param>
public sealed record SandboxEmailRates(double Open = 0.30, double ClickGivenOpen = 0.15, double OrderGivenClick = 0.20, double Uplift = 0.20);

/// <summary>
/// A campaign send and the events Klaviyo recorded for it: recipients (profile indices, ascending), one message per
/// recipient (position modulo the number of messages, so an A/B split is even), and the events sorted by time.
/// Immutable once built.
/// </summary>
public sealed class SandboxCampaignSend
{
    internal SandboxCampaignSend(int ordinal, string campaignId, string campaignName, DateTimeOffset sendTime, IReadOnlyList<SentMessage> messages,
        long[] recipients, EmailEventRecord[] events, int[] personalizedPerMessage)
    {
        Ordinal = ordinal;
        CampaignId = campaignId;
        CampaignName = campaignName;
        SendTime = sendTime;
        SendUnixSeconds = sendTime.ToUnixTimeSeconds();
        Messages = messages;
        Recipients = recipients;
        Events = events;
        PersonalizedPerMessage = personalizedPerMessage;
    }

    public int Ordinal { get; }
    public string CampaignId { get; }
    public string CampaignName { get; }

    /// <summary>The send time, whole seconds (event times are whole seconds, as Klaviyo's timestamps).</summary>
    public DateTimeOffset SendTime { get; }
    public long SendUnixSeconds { get; }
    public IReadOnlyList<SentMessage> Messages { get; }

    /// <summary>Profile indices of the recipients, ascending.</summary>
    internal long[] Recipients { get; }

    /// <summary>Sorted by (Seconds, Metric, Recipient).</summary>
    internal EmailEventRecord[] Events { get; }

    /// <summary>Recipients per message whose profile held the message's refly_ properties at send time.</summary>
    public IReadOnlyList<int> PersonalizedPerMessage { get; }

    public int RecipientCount => Recipients.Length;
    public int EventCount => Events.Length;

    /// <summary>The message a recipient received: positions alternate over the messages (even A/B split).</summary>
    public SentMessage MessageOf(int recipient) => Messages[recipient % Messages.Count];

    public int MessageIndexOf(int recipient) => recipient % Messages.Count;

    public string ProfileIdOf(int recipient) => ProfileGenerator.IdFor(Recipients[recipient]);

    public long UnixSecondsOf(in EmailEventRecord e) => SendUnixSeconds + e.Seconds;

    /// <summary>Recipient position of a profile index, or -1.</summary>
    internal int PositionOf(long profileIndex)
    {
        var i = Array.BinarySearch(Recipients, profileIndex);
        return i < 0 ? -1 : i;
    }

    /// <summary>Events visible at <paramref name="nowUnixSeconds"/> (Klaviyo shows nothing from the future) as counts per message and metric.</summary>
    public SendTally Tally(long nowUnixSeconds, byte conversionMetric)
    {
        var tally = new SendTally(Messages.Count);
        var seen = new HashSet<int>[Messages.Count];
        for (var m = 0; m < seen.Length; m++)
        {
            seen[m] = [];
        }
        foreach (var e in Events)
        {
            if (SendUnixSeconds + e.Seconds > nowUnixSeconds)
            {
                break;
            }
            var m = MessageIndexOf(e.Recipient);
            tally.Counts[m, e.Metric]++;
            if (e.Metric == conversionMetric)
            {
                tally.ConversionCount[m]++;
                tally.ConversionValueCents[m] += e.ValueCents;
                seen[m].Add(e.Recipient);
            }
        }
        for (var m = 0; m < seen.Length; m++)
        {
            tally.ConversionUniques[m] = seen[m].Count;
        }
        return tally;
    }
}

/// <summary>Event counts of one send per message (rows) and metric code (columns), and the conversion metric's value and uniques.</summary>
public sealed class SendTally(int messages)
{
    public long[,] Counts { get; } = new long[messages, SandboxMetrics.All.Count];
    public long[] ConversionCount { get; } = new long[messages];
    public long[] ConversionValueCents { get; } = new long[messages];
    public long[] ConversionUniques { get; } = new long[messages];
}
