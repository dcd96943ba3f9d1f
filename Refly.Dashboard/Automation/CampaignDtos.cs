using Refly.Core.Campaigns;

namespace Refly.Dashboard.Automation;

/// <summary>A campaign as the automation API returns it.</summary>
public sealed record CampaignDto(
    string Id,
    string Name,
    string Status,
    string RawStatus,
    DateTimeOffset? SendTime,
    bool Archived,
    IReadOnlyList<string> Tags,
    IReadOnlyList<MessageDto> Messages,
    PersonalizationDto? Personalization)
{
    public static CampaignDto From(Campaign campaign) => new(
        campaign.KlaviyoId,
        campaign.Name,
        campaign.Status.ToString(),
        campaign.RawStatus,
        campaign.SendTime,
        campaign.Archived,
        campaign.Tags,
        campaign.Messages.Select(m => new MessageDto(m.KlaviyoId, m.Label, m.Subject)).ToList(),
        Personalization: null);
}

public sealed record MessageDto(string Id, string? Label, string? Subject);

/// <summary>The campaign's latest personalization run, if any.</summary>
public sealed record PersonalizationDto(Guid RunId, string State, string Trigger, long Processed, long? Total, DateTimeOffset? Eta);

public sealed record CampaignListDto(IReadOnlyList<CampaignDto> Items, int Total);
