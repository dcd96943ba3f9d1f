namespace Refly.Core.Klaviyo;

public sealed record KlaviyoCampaignMessage(
    string Id,
    string Channel,
    string? Label,
    string? Subject,
    string? PreviewText,
    string? FromEmail,
    string? FromLabel,
    string? TemplateId);
