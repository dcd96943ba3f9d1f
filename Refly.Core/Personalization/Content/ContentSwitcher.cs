using Microsoft.Extensions.Logging;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// Snapshot the selected messages' original content, point them at the personalized
/// profile properties (with the originals as defaults), and put the originals back.
/// </summary>
public sealed class ContentSwitcher(IKlaviyoClient klaviyo, CampaignEditor editor, ILogger<ContentSwitcher> logger)
{
    /// <summary>
    /// The original content of the selected messages. A message still switched by an earlier run takes its
    /// originals from that run's snapshot (<paramref name="earlierOriginals"/>), never from the switched content.
    /// </summary>
    public async Task<List<MessageSnapshot>> SnapshotAsync(
        string campaignId,
        IReadOnlyList<string> messageIds,
        IReadOnlyDictionary<string, MessageSnapshot> earlierOriginals,
        CancellationToken cancellationToken)
    {
        var snapshots = new List<MessageSnapshot>(messageIds.Count);
        foreach (var messageId in messageIds)
        {
            var message = await klaviyo.GetCampaignMessageAsync(messageId, cancellationToken)
                ?? throw new CampaignGoneException(campaignId);
            if ((PersonalizedMarkup.IsSwitched(message.Subject) || PersonalizedMarkup.IsSwitched(message.PreviewText))
                && earlierOriginals.TryGetValue(messageId, out var earlier))
            {
                snapshots.Add(new MessageSnapshot
                {
                    MessageId = messageId,
                    Label = message.Label,
                    Subject = earlier.Subject,
                    PreviewText = earlier.PreviewText,
                    TemplateId = earlier.TemplateId,
                    TemplateHtml = earlier.TemplateHtml,
                });
                continue;
            }

            string? html = null;
            if (message.TemplateId is { } templateId)
            {
                var template = await klaviyo.GetTemplateAsync(templateId, cancellationToken);
                html = template?.Html;
            }
            snapshots.Add(new MessageSnapshot
            {
                MessageId = messageId,
                Label = message.Label,
                Subject = message.Subject ?? string.Empty,
                PreviewText = message.PreviewText,
                TemplateId = message.TemplateId,
                TemplateHtml = html is not null && PersonalizedMarkup.IsSwitchedTemplate(html) ? PersonalizedMarkup.WithoutPersonalizedBlock(html) : html,
            });
        }
        return snapshots;
    }

    /// <summary>
    /// Points every snapshotted message at its personalized properties: subject and preview become lookups with
    /// the original as default, the template becomes a clone with the personalized block. Fills
    /// <see cref="MessageSnapshot.PersonalizedTemplateId"/>.
    /// </summary>
    public Task SwitchAsync(string campaignId, IReadOnlyList<MessageSnapshot> originals, RevertRecord revert, CancellationToken cancellationToken) =>
        editor.EditAsync(campaignId, async (campaign, ct) =>
        {
            foreach (var original in originals)
            {
                var key = PersonalizedMarkup.MessageKey(original.MessageId);
                await klaviyo.UpdateCampaignMessageContentAsync(
                    original.MessageId,
                    PersonalizedMarkup.SubjectExpression(key, original.Subject),
                    PersonalizedMarkup.PreviewExpression(key, original.PreviewText),
                    ct);

                if (original.TemplateHtml is not null)
                {
                    original.PersonalizedTemplateId ??= await klaviyo.CreateTemplateAsync(
                        $"{campaign.Name} – {original.Label ?? original.MessageId} (Refly personalized)",
                        PersonalizedMarkup.TemplateWithPersonalizedBlock(original.TemplateHtml, key),
                        ct);
                    await klaviyo.AssignTemplateAsync(original.MessageId, original.PersonalizedTemplateId, ct);
                }
            }
        }, revert, cancellationToken);

    /// <summary>Puts the original subject, preview text and template back on every snapshotted message.</summary>
    public Task RestoreAsync(string campaignId, IReadOnlyList<MessageSnapshot> originals, RevertRecord revert, CancellationToken cancellationToken) =>
        editor.EditAsync(campaignId, async (campaign, ct) =>
        {
            foreach (var original in originals)
            {
                await klaviyo.UpdateCampaignMessageContentAsync(original.MessageId, original.Subject, original.PreviewText ?? string.Empty, ct);
                if (original.TemplateId is not null)
                {
                    await AssignOriginalTemplateAsync(campaign, original, ct);
                }
            }
        }, revert, cancellationToken);

    /// <summary>Deletes the personalized template clones (after a restore).</summary>
    public async Task DeletePersonalizedTemplatesAsync(IReadOnlyList<MessageSnapshot> originals, CancellationToken cancellationToken)
    {
        foreach (var original in originals)
        {
            if (original.PersonalizedTemplateId is { } id)
            {
                await klaviyo.DeleteTemplateAsync(id, cancellationToken);
            }
        }
    }

    private async Task AssignOriginalTemplateAsync(KlaviyoCampaign campaign, MessageSnapshot original, CancellationToken cancellationToken)
    {
        try
        {
            await klaviyo.AssignTemplateAsync(original.MessageId, original.TemplateId!, cancellationToken);
        }
        catch (KlaviyoNotFoundException) when (original.TemplateHtml is not null)
        {
            // The original template is gone (Klaviyo may replace a message's template copy): rebuild it from the snapshot.
            logger.LogWarning("Original template {TemplateId} of message {MessageId} is gone; restoring it from the snapshot", original.TemplateId, original.MessageId);
            var restoredId = await klaviyo.CreateTemplateAsync($"{campaign.Name} – {original.Label ?? original.MessageId}", original.TemplateHtml, cancellationToken);
            await klaviyo.AssignTemplateAsync(original.MessageId, restoredId, cancellationToken);
        }
    }
}
