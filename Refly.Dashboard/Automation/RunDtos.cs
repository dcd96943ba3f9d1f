using Refly.Core.Personalization;

namespace Refly.Dashboard.Automation;

/// <summary>A personalization run as the automation API returns it. States use RunState's names.</summary>
public sealed record RunDto(
    Guid Id,
    string CampaignId,
    string State,
    string Trigger,
    string? StartedBy,
    IReadOnlyList<string> MessageIds,
    long? Total,
    long Processed,
    long Written,
    long Failed,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    string? Error,
    string? StopReason,
    double? Coverage,
    double? ContactsPerSecond,
    DateTimeOffset? Eta)
{
    public static RunDto From(RunView run) => new(
        run.RunId, run.CampaignId, run.State.ToString(), run.Trigger.ToString(), run.StartedBy, run.MessageIds,
        run.Total, run.Processed, run.Written, run.Failed, run.CreatedAt, run.StartedAt, run.FinishedAt,
        run.Error, run.StopReason, run.Coverage, run.ContactsPerSecond, run.Eta);
}

/// <summary>GET /api/v1/campaigns/{campaignId}/runs: the campaign's runs, newest first.</summary>
public sealed record RunListDto(IReadOnlyList<RunDto> Items);

/// <summary>Body of POST /api/v1/campaigns/{campaignId}/personalization.</summary>
public sealed record StartPersonalizationBody(IReadOnlyList<string>? MessageIds)
{
    /// <summary>The brief to write with (saved as the campaign's brief); none uses the campaign's saved brief.</summary>
    public BriefDto? Brief { get; init; }
}
