namespace Refly.Core.Klaviyo;

public sealed record KlaviyoCampaign(
    string Id,
    string Name,
    string Status,
    bool Archived,
    KlaviyoAudiences Audiences,
    KlaviyoSendStrategy SendStrategy,
    DateTimeOffset? ScheduledAt,
    DateTimeOffset? SendTime,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<KlaviyoCampaignMessage> Messages,
    IReadOnlyList<KlaviyoTag> Tags);
