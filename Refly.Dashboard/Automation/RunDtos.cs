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
        run.Error, run.StopReason, run.Coverage, run.ContactsPerSecond, run.Eta)
    {
        Personalizer = run.Personalization?.Personalizer,
        CountsBySource = run.Personalization is { } p ? new SourceCountsDto(p.Split.Model, p.Split.RuleBased, p.Split.Original) : null,
        ModelCalls = run.Personalization?.ModelCalls,
        Tokens = run.Personalization is { } t ? new TokensDto(t.InputTokens, t.OutputTokens) : null,
        DistinctGroups = run.Personalization?.DistinctGroups,
        CacheHits = run.Personalization?.CacheHits,
        Cost = run.Personalization?.Cost,
        HeldOut = run.HeldOut,
        HoldoutShare = run.HoldoutShare,
    };

    /// <summary>Contacts held out as the control group (they keep the original content; nothing is written for them).</summary>
    public long HeldOut { get; init; }

    /// <summary>The share of the audience held out, 0 to 0.5 (0: no holdout).</summary>
    public double HoldoutShare { get; init; }

    /// <summary><c>rule-based</c>, <c>llm</c> or <c>hybrid</c>; null for a run that recorded none.</summary>
    public string? Personalizer { get; init; }

    /// <summary>Contacts (times messages) whose content came from the model, the rule-based personalizer or the original.</summary>
    public SourceCountsDto? CountsBySource { get; init; }

    /// <summary>Model calls made.</summary>
    public long? ModelCalls { get; init; }

    /// <summary>Prompt and completion tokens.</summary>
    public TokensDto? Tokens { get; init; }

    /// <summary>Fact groups the model was asked about.</summary>
    public long? DistinctGroups { get; init; }

    /// <summary>Groups whose copy came from the generation cache.</summary>
    public long? CacheHits { get; init; }

    /// <summary>At the token prices in Settings; null when none is set.</summary>
    public decimal? Cost { get; init; }
}

/// <summary>A run's counts by source.</summary>
public sealed record SourceCountsDto(long Model, long RuleBased, long Original);

/// <summary>A run's token usage.</summary>
public sealed record TokensDto(long Input, long Output);

/// <summary>GET /api/v1/campaigns/{campaignId}/runs: the campaign's runs, newest first.</summary>
public sealed record RunListDto(IReadOnlyList<RunDto> Items);

/// <summary>Body of POST /api/v1/campaigns/{campaignId}/personalization.</summary>
public sealed record StartPersonalizationBody(IReadOnlyList<string>? MessageIds)
{
    /// <summary><c>rule-based</c>, <c>llm</c> or <c>hybrid</c>; omitted for the default plan.</summary>
    public string? Personalizer { get; init; }

    /// <summary>The brief to write with (saved as the campaign's brief); none uses the campaign's saved brief.</summary>
    public BriefDto? Brief { get; init; }

    /// <summary>Share of the audience held out as a control, 0 to 0.5; omitted holds nobody out.</summary>
    public double? HoldoutShare { get; init; }
}
