using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Dashboard.Automation;

/// <summary>The brief a preview may be made with (every field optional); facts by <see cref="BriefFact"/> name.</summary>
public sealed record PreviewBriefBody(string? Goal, string? Tone, IReadOnlyList<string>? AvoidWords, IReadOnlyList<string>? AllowedFacts, string? Language);

/// <summary>The body of POST /api/v1/campaigns/{campaignId}/preview.</summary>
public sealed record PreviewBody(IReadOnlyList<string>? MessageIds, string? Email, PreviewBriefBody? Brief);

/// <summary>One email of a preview: who, which message, the personalized email and the original, and who wrote it.</summary>
public sealed record PreviewEmailDto(
    string MessageId,
    string? MessageLabel,
    string Contact,
    string Facts,
    int GroupSize,
    string Subject,
    string PreviewText,
    string Html,
    string Source,
    string? FallbackReason,
    PreviewOriginalDto Original);

/// <summary>The original email, as rendered for the same contact.</summary>
public sealed record PreviewOriginalDto(string Subject, string PreviewText, string Html);

/// <summary>The answer of the preview endpoint.</summary>
public sealed record PreviewListDto(string CampaignId, string? Email, IReadOnlyList<PreviewEmailDto> Items);

/// <summary>POST /api/v1/campaigns/{campaignId}/preview: the email as Klaviyo renders it, for the samples or one contact.</summary>
internal static class PreviewApi
{
    public static RouteGroupBuilder MapPreviewApi(this RouteGroupBuilder api)
    {
        api.MapPost("/campaigns/{campaignId}/preview", async Task<IResult> (
                string campaignId, PreviewBody? body, CampaignQueryService campaigns, EmailPreviewService previews, CancellationToken ct) =>
            {
                var campaign = await campaigns.FindAsync(campaignId, ct);
                if (campaign is null)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Campaign not found",
                        detail: $"No campaign with id '{campaignId}' has been synced from Klaviyo.");
                }
                var messageIds = body?.MessageIds ?? [];
                if (messageIds.Count == 0 || messageIds.Any(string.IsNullOrWhiteSpace))
                {
                    return Refused(StatusCodes.Status400BadRequest, "Choose at least one message to preview ('messageIds').");
                }
                var foreign = messageIds.Where(id => campaign.Messages.All(m => m.KlaviyoId != id)).ToList();
                if (foreign.Count > 0)
                {
                    return Refused(StatusCodes.Status422UnprocessableEntity,
                        $"Not a message of campaign '{campaignId}': {string.Join(", ", foreign)}.");
                }
                var email = body?.Email;
                if (email is not null && (string.IsNullOrWhiteSpace(email) || !email.Contains('@', StringComparison.Ordinal)))
                {
                    return Refused(StatusCodes.Status400BadRequest, $"'email' must be an e-mail address (got '{email}').");
                }
                if (!TryBrief(body?.Brief, out var brief, out var briefError))
                {
                    return Refused(StatusCodes.Status400BadRequest, briefError!);
                }

                EmailPreviewResult result;
                try
                {
                    result = await previews.PreviewAsync(campaign, messageIds.Distinct(StringComparer.Ordinal).ToList(), email, brief, ct);
                }
                catch (KlaviyoException ex)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status502BadGateway, title: "Klaviyo could not render the preview", detail: ex.Message);
                }
                return result.Status switch
                {
                    EmailPreviewStatus.UnknownEmail => TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Contact not found", detail: result.Message),
                    _ => TypedResults.Ok(new PreviewListDto(campaign.KlaviyoId, email, result.Previews.Select(ToDto).ToList())),
                };
            })
            .WithMetadata(new ExpectedBody("""{"messageIds": ["<message id>", ...], "email": "<optional contact e-mail>", "brief": {"goal": "...", "tone": "..."}}"""))
            .WithName("PreviewPersonalization")
            .WithSummary("The selected messages as Klaviyo renders them (subject, previewText, html, source) for the samples or one contact by e-mail, next to the original; 400/404/422 with the reason.");
        return api;
    }

    private static PreviewEmailDto ToDto(EmailPreview p) => new(
        p.MessageId, p.MessageLabel, p.Contact, p.Facts, p.GroupSize,
        p.Personalized.Subject, p.Personalized.PreviewText, p.Personalized.Html,
        EmailPreviewResult.SourceName(p.Source), p.FallbackReason,
        new PreviewOriginalDto(p.Original.Subject, p.Original.PreviewText, p.Original.Html));

    private static IResult Refused(int status, string detail) =>
        TypedResults.Problem(statusCode: status, title: "Preview refused", detail: detail);

    private static bool TryBrief(PreviewBriefBody? body, out CampaignBrief? brief, out string? error)
    {
        brief = null;
        error = null;
        if (body is null)
        {
            return true;
        }
        List<BriefFact>? facts = null;
        if (body.AllowedFacts is { } names)
        {
            facts = [];
            foreach (var name in names)
            {
                if (!Enum.TryParse<BriefFact>(name, ignoreCase: true, out var fact) || !Enum.IsDefined(fact) || int.TryParse(name, out _))
                {
                    error = $"Unknown fact '{name}' in 'brief.allowedFacts'; allowed: {string.Join(", ", Enum.GetNames<BriefFact>())}.";
                    return false;
                }
                facts.Add(fact);
            }
        }
        brief = new CampaignBrief(body.Goal, body.Tone, body.AvoidWords, facts, body.Language);
        return true;
    }
}
