using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>
/// A short hash of what a personalization depends on: each message's original subject, preview text and template id,
/// and the campaign's send time. A run's own content switch must not count as a change, so current content is
/// compared through the run's originals: a subject or preview that is one of our lookups, or a template that is our
/// personalized clone, stands for the original it replaced.
/// </summary>
/// <remarks>
/// Edits made inside the same template (same id, new html) are not seen: the local campaign copy holds template ids,
/// not html, and fetching every template each poll would cost a request per message.
/// </remarks>
public static class ContentFingerprint
{
    /// <summary>The fingerprint of the content a run started from (its snapshot) and its send time at start.</summary>
    public static string OfRun(PersonalizationRun run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return Compute(run.Originals.Select(o => new Entry(o.MessageId, o.Subject, o.PreviewText, o.TemplateId)), run.SendTime);
    }

    /// <summary>
    /// The fingerprint of <paramref name="campaign"/> as last synced, for <paramref name="messageIds"/>, with content
    /// that a run switched mapped back to the originals in <paramref name="originals"/> (by message id).
    /// </summary>
    public static string OfCampaign(Campaign campaign, IEnumerable<string> messageIds, IReadOnlyDictionary<string, MessageSnapshot> originals)
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
                entries.Add(new Entry(id, "\0missing", null, null));
                continue;
            }
            originals.TryGetValue(id, out var original);
            var subject = original is not null && ContentSwitch.IsSwitched(message.Subject) ? original.Subject : message.Subject;
            var preview = original is not null && ContentSwitch.IsSwitched(message.PreviewText) ? original.PreviewText : message.PreviewText;
            var template = original is not null && original.PersonalizedTemplateId is not null && message.TemplateId == original.PersonalizedTemplateId
                ? original.TemplateId
                : message.TemplateId;
            entries.Add(new Entry(id, subject, preview, template));
        }
        return Compute(entries, campaign.SendTime);
    }

    private static string Compute(IEnumerable<Entry> entries, DateTimeOffset? sendTime)
    {
        var text = new StringBuilder();
        text.Append(sendTime is { } send ? send.UtcTicks.ToString(CultureInfo.InvariantCulture) : "none").Append('\u001e');
        foreach (var entry in entries.OrderBy(e => e.MessageId, StringComparer.Ordinal))
        {
            text.Append(entry.MessageId).Append('\u001f')
                .Append(entry.Subject ?? string.Empty).Append('\u001f')
                .Append(entry.PreviewText ?? string.Empty).Append('\u001f')
                .Append(entry.TemplateId ?? string.Empty).Append('\u001e');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 16));
    }

    private sealed record Entry(string MessageId, string? Subject, string? PreviewText, string? TemplateId);
}
