using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>
/// A short hash of what a personalization depends on: the selected messages (ids), each one's original subject and
/// preview text, and the campaign's send time. A run's own content switch must not count as a change, so current content
/// is compared through the run's originals: a subject or preview that is one of our lookups stands for the original it
/// replaced.
/// </summary>
/// <remarks>
/// Template changes are not part of it: Klaviyo assigns a fresh clone (a new id) on every template assignment, including
/// our own switch and restore, so a template id says nothing about content; and comparing html would cost a template
/// request per message on every poll.
/// </remarks>
public static class ContentFingerprint
{
    /// <summary>The fingerprint of the content a run started from (its snapshot) and, unless told not to, its send time at start.</summary>
    public static string OfRun(PersonalizationRun run, bool withSendTime = true)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Compute(run.Originals.Select(o => new Entry(o.MessageId, o.Subject, o.PreviewText)), withSendTime ? run.SendTime : null);
    }

    /// <summary>
    /// The fingerprint of <paramref name="campaign"/> as last synced, for <paramref name="messageIds"/>, with content
    /// that a run switched mapped back to the originals in <paramref name="originals"/> (by message id), and unless told
    /// not to, its send time.
    /// </summary>
    public static string OfCampaign(
        Campaign campaign, IEnumerable<string> messageIds, IReadOnlyDictionary<string, MessageSnapshot> originals, bool withSendTime = true)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(messageIds);
        ArgumentNullException.ThrowIfNull(originals);
        var entries = new List<Entry>();
        foreach (var id in messageIds)
        {
            var message = campaign.Messages.FirstOrDefault(m => m.KlaviyoId == id);
            if (message is null)
            {
                // A message gone from the campaign is a change of content.
                entries.Add(new Entry(id, "\0missing", null));
                continue;
            }
            originals.TryGetValue(id, out var original);
            var subject = original is not null && PersonalizedMarkup.IsSwitched(message.Subject) ? original.Subject : message.Subject;
            var preview = original is not null && PersonalizedMarkup.IsSwitched(message.PreviewText) ? original.PreviewText : message.PreviewText;
            entries.Add(new Entry(id, subject, preview));
        }
        return Compute(entries, withSendTime ? campaign.SendTime : null);
    }

    private static string Compute(IEnumerable<Entry> entries, DateTimeOffset? sendTime)
    {
        var text = new StringBuilder();
        text.Append(sendTime is { } send ? send.UtcTicks.ToString(CultureInfo.InvariantCulture) : "none").Append('\u001e');
        foreach (var entry in entries.OrderBy(e => e.MessageId, StringComparer.Ordinal))
        {
            text.Append(entry.MessageId).Append('\u001f')
                .Append(entry.Subject ?? string.Empty).Append('\u001f')
                .Append(entry.PreviewText ?? string.Empty).Append('\u001e');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }

    private sealed record Entry(string MessageId, string? Subject, string? PreviewText);
}
