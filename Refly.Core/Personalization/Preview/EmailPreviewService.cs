using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// Previews a campaign's selected messages as the real email: for the largest fact groups of the audience's first page
/// (one contact each), or for one contact looked up by e-mail, the subject, preview text and full HTML body rendered by
/// Klaviyo (render_template) with that contact's context, once with the original content and once with the properties
/// the personalizer would write. The personalizer sees the contact's facts only (see <see cref="ContactFacts"/>); the
/// contact's name and e-mail reach Klaviyo's renderer, never a model. The content is rendered through temporary
/// templates (render_template renders a template by id) that are deleted afterwards; the campaign is not changed.
/// </summary>
public sealed class EmailPreviewService(
    IKlaviyoClient klaviyo,
    GroupDirectory groups,
    PersonalizerSelector personalizers,
    ContentSwitcher switcher,
    RunStore runs,
    ILogger<EmailPreviewService> logger)
{
    /// <summary>How many fact groups the samples cover (the largest first).</summary>
    public const int SampleGroups = 5;

    // The three parts travel through one render, separated by comments the renderer leaves alone.
    private const string SubjectMark = "<!--refly:preview:subject-->";
    private const string PreviewMark = "<!--refly:preview:preview-->";
    private const string BodyMark = "<!--refly:preview:body-->";

    /// <summary>
    /// The previews of <paramref name="messageIds"/> (messages of <paramref name="campaign"/>) for the samples, or for the
    /// contact with <paramref name="email"/> when given. A contact whose fact group has copy in <paramref name="approved"/>
    /// (the modal's edited or rewritten samples, or a run's approved copy) is shown with that copy, as the run writes it.
    /// Throws <see cref="KlaviyoException"/> when Klaviyo fails.
    /// </summary>
    public async Task<EmailPreviewResult> PreviewAsync(
        Campaign campaign,
        IReadOnlyList<string> messageIds,
        string? email,
        CampaignBrief? brief,
        CancellationToken cancellationToken,
        IReadOnlyCollection<ApprovedCopyInput>? approved = null)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(messageIds);
        brief ??= CampaignBrief.Default;
        var foreign = messageIds.FirstOrDefault(id => !campaign.Messages.Any(m => m.KlaviyoId == id));
        if (messageIds.Count == 0 || foreign is not null)
        {
            throw new ArgumentException(messageIds.Count == 0
                ? "Choose at least one message to preview."
                : $"Message {foreign} is not a message of campaign {campaign.KlaviyoId}.", nameof(messageIds));
        }

        List<(KlaviyoProfile Profile, int GroupSize)> contacts;
        if (!string.IsNullOrWhiteSpace(email))
        {
            var profile = await klaviyo.FindProfileByEmailAsync(email.Trim(), cancellationToken);
            if (profile is null)
            {
                return new EmailPreviewResult(EmailPreviewStatus.UnknownEmail, [], $"No Klaviyo profile has the e-mail {email.Trim()}.");
            }
            contacts = [(profile, 1)];
        }
        else
        {
            contacts = await SamplesAsync(campaign, cancellationToken);
            if (contacts.Count == 0)
            {
                return new EmailPreviewResult(EmailPreviewStatus.NoContacts, [], "The campaign's audience has no contact to preview.");
            }
        }

        var earlier = await runs.LatestOriginalsAsync(campaign.Id, Guid.Empty, cancellationToken);
        var snapshots = await switcher.SnapshotAsync(campaign.KlaviyoId, messageIds, earlier, cancellationToken);
        var personalizer = personalizers.Current;
        var briefHash = brief.Hash();
        var approvedByGroup = (approved ?? []).GroupBy(a => (a.MessageId, a.FactsHash)).ToDictionary(g => g.Key, g => g.Last());
        var previews = new List<EmailPreview>(contacts.Count * snapshots.Count);
        foreach (var snapshot in snapshots)
        {
            var key = PersonalizedMarkup.MessageKey(snapshot.MessageId);
            var original = new MessageContent(snapshot.Subject, snapshot.PreviewText);
            var html = snapshot.TemplateHtml ?? string.Empty;
            var originalTemplate = Compose(snapshot.Subject, snapshot.PreviewText ?? string.Empty, html);
            var personalizedTemplate = Compose(
                PersonalizedMarkup.SubjectExpression(key, snapshot.Subject),
                PersonalizedMarkup.PreviewExpression(key, snapshot.PreviewText),
                PersonalizedMarkup.TemplateWithPersonalizedBlock(html, key));

            var temporary = new List<string>(2);
            try
            {
                var originalId = await klaviyo.CreateTemplateAsync($"Refly preview (original) {snapshot.MessageId}", originalTemplate, cancellationToken);
                temporary.Add(originalId);
                var personalizedId = await klaviyo.CreateTemplateAsync($"Refly preview {snapshot.MessageId}", personalizedTemplate, cancellationToken);
                temporary.Add(personalizedId);

                foreach (var (profile, groupSize) in contacts)
                {
                    var request = new PersonalizationRequest(profile, snapshot.MessageId, campaign.Name, original)
                    {
                        Brief = brief,
                        BriefHash = briefHash,
                    };
                    var content = approvedByGroup.TryGetValue((snapshot.MessageId, ContactFacts.From(profile, brief).Hash), out var copy)
                        ? ApprovedCopyPersonalizer.Compose(AsCopy(copy), RuleBasedPersonalizer.GreetingName(profile))
                        : await personalizer.PersonalizeAsync(request, cancellationToken);
                    var set = new Dictionary<string, string>(StringComparer.Ordinal);
                    PersonalizedMarkup.AddProperties(key, content, set, new List<string>());

                    var originalEmail = await RenderAsync(originalId, Context(profile, null), cancellationToken);
                    var personalizedEmail = await RenderAsync(personalizedId, Context(profile, set), cancellationToken);
                    previews.Add(new EmailPreview(
                        snapshot.MessageId,
                        snapshot.Label,
                        profile.Email ?? profile.Id,
                        Describe(ContactFacts.From(profile)),
                        groupSize,
                        originalEmail,
                        personalizedEmail,
                        set.Count == 0 ? ContentSource.Original : content.Source,
                        content.FallbackReason));
                }
            }
            finally
            {
                foreach (var id in temporary)
                {
                    await DeleteQuietlyAsync(id);
                }
            }
        }

        return new EmailPreviewResult(EmailPreviewStatus.Ok, previews, null);
    }

    /// <summary>The facts in words, as the marketer reads them ("Gold · Shoes · ordered recently · Berlin, DE").</summary>
    public static string Describe(ContactFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var place = string.Join(", ", new[] { facts.City, facts.Country }.Where(s => s.Length > 0));
        var parts = new[] { facts.LoyaltyTier, facts.FavoriteCategory, facts.LastProductViewed, facts.OrderRecencyText, place }
            .Where(s => s.Length > 0)
            .ToList();
        return parts.Count == 0 ? "No facts known" : string.Join(" · ", parts);
    }

    /// <summary>
    /// The render context Klaviyo gives a recipient's email: the profile's fields at the top level and as <c>person</c>,
    /// with its custom properties (the personalized ones from <paramref name="personalized"/>) under <c>person</c>.
    /// </summary>
    public static JsonObject Context(KlaviyoProfile profile, IReadOnlyDictionary<string, string>? personalized)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var person = new JsonObject();
        foreach (var (name, value) in profile.Properties)
        {
            // An earlier run's values on the profile must not leak into either version.
            if (value is not null && !name.StartsWith(PersonalizedMarkup.PropertyPrefix, StringComparison.Ordinal))
            {
                person[name] = value;
            }
        }

        foreach (var (name, value) in personalized ?? new Dictionary<string, string>())
        {
            person[name] = value;
        }

        var context = new JsonObject();
        void Both(string name, string? value)
        {
            if (value is not null)
            {
                person[name] = value;
                context[name] = value;
            }
        }

        Both("first_name", profile.FirstName);
        Both("last_name", profile.LastName);
        Both("email", profile.Email);
        Both("city", profile.City);
        Both("country", profile.Country);
        context["person"] = person;
        return context;
    }

    private static string Compose(string subject, string preview, string html) =>
        string.Concat(SubjectMark, subject, PreviewMark, preview, BodyMark, html);

    private async Task<RenderedEmail> RenderAsync(string templateId, JsonObject context, CancellationToken cancellationToken)
    {
        var rendered = await klaviyo.RenderTemplateAsync(templateId, context, cancellationToken)
            ?? throw new KlaviyoResponseException($"the preview template {templateId} disappeared before it was rendered.");
        var text = rendered.Html;
        var subjectAt = text.IndexOf(SubjectMark, StringComparison.Ordinal);
        var previewAt = text.IndexOf(PreviewMark, StringComparison.Ordinal);
        var bodyAt = text.IndexOf(BodyMark, StringComparison.Ordinal);
        if (subjectAt < 0 || previewAt < subjectAt || bodyAt < previewAt)
        {
            throw new KlaviyoResponseException("the rendered preview lost its part markers.");
        }

        // The subject and preview travel as HTML: a renderer that escapes what it writes (Klaviyo escapes variables)
        // gives entities, which a recipient's inbox shows as the characters.
        return new RenderedEmail(
            WebUtility.HtmlDecode(text[(subjectAt + SubjectMark.Length)..previewAt]),
            WebUtility.HtmlDecode(text[(previewAt + PreviewMark.Length)..bodyAt]),
            text[(bodyAt + BodyMark.Length)..]);
    }

    private async Task DeleteQuietlyAsync(string templateId)
    {
        try
        {
            // Not the caller's token: a cancelled preview still removes its temporary templates.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await klaviyo.DeleteTemplateAsync(templateId, timeout.Token);
        }
        catch (KlaviyoException ex)
        {
            logger.LogWarning("Could not delete the preview template {TemplateId}: {Reason}", templateId, ex.Message);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Deleting the preview template {TemplateId} timed out.", templateId);
        }
    }

    // One contact from each of the largest fact groups of the first page of the first included audience.
    private static ApprovedCopy AsCopy(ApprovedCopyInput input) => new()
    {
        CampaignKlaviyoId = string.Empty,
        MessageId = input.MessageId,
        FactsHash = input.FactsHash,
        Subject = input.Subject,
        PreviewText = input.PreviewText ?? string.Empty,
        Intro = input.Intro ?? string.Empty,
        Origin = input.Origin,
        OriginalHash = string.Empty,
    };

    private async Task<List<(KlaviyoProfile, int)>> SamplesAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        var firstGroup = campaign.IncludedAudienceIds.FirstOrDefault();
        if (firstGroup is null || (await groups.ResolveAsync(firstGroup, cancellationToken))?.Ref is not { } group)
        {
            return [];
        }

        var page = await klaviyo.GetGroupProfilesPageAsync(group, null, null, cancellationToken);
        return page.Items
            .Select((profile, order) => (profile, order, facts: ContactFacts.From(profile)))
            .GroupBy(p => p.facts.Hash, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.First().order)
            .Take(SampleGroups)
            .Select(g => (g.First().profile, g.Count()))
            .ToList();
    }
}
