using Refly.Core.Campaigns;
using Refly.Core.Personalization;

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
    public static CampaignDto From(Campaign campaign, RunView? latestRun) => new(
        campaign.KlaviyoId,
        campaign.Name,
        campaign.Status.ToString(),
        campaign.RawStatus,
        campaign.SendTime,
        campaign.Archived,
        campaign.Tags,
        campaign.Messages.Select(m => new MessageDto(m.KlaviyoId, m.Label, m.Subject)).ToList(),
        latestRun is null ? null : PersonalizationDto.From(latestRun));
}

public sealed record MessageDto(string Id, string? Label, string? Subject);

/// <summary>The campaign's latest personalization run, if any.</summary>
public sealed record PersonalizationDto(Guid RunId, string State, string Trigger, long Processed, long? Total, DateTimeOffset? Eta)
{
    /// <summary>"processed" counts contacts whose import job completed (written or rejected), as the dashboard's progress.</summary>
    public static PersonalizationDto From(RunView run) =>
        new(run.RunId, run.State.ToString(), run.Trigger.ToString(), run.Written + run.Failed, run.Total, run.Eta);
}

public sealed record CampaignListDto(IReadOnlyList<CampaignDto> Items, int Total);
