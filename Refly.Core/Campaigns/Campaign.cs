namespace Refly.Core.Campaigns;

/// <summary>A Klaviyo email campaign as last synced.</summary>
public sealed class Campaign
{
    public int Id { get; set; }

    /// <summary>Klaviyo's campaign id; the automation API addresses campaigns by it.</summary>
    public required string KlaviyoId { get; set; }

    public required string Name { get; set; }

    public required string RawStatus { get; set; }

    public CampaignStatus Status { get; set; }

    /// <summary>When the campaign sends (Klaviyo's send_time, else its static send strategy datetime, else scheduled_at).</summary>
    public DateTimeOffset? SendTime { get; set; }

    /// <summary>The send strategy's method ("static", "immediate", "smart_send_time", ...).</summary>
    public string? SendStrategyMethod { get; set; }

    public bool Archived { get; set; }

    public List<string> IncludedAudienceIds { get; set; } = [];

    public List<string> ExcludedAudienceIds { get; set; } = [];

    public List<string> Tags { get; set; } = [];

    public DateTimeOffset KlaviyoUpdatedAt { get; set; }

    public DateTimeOffset LastSyncedAt { get; set; }

    /// <summary>Set when a sync no longer found the campaign in Klaviyo; the row is kept so runs and history stay readable.</summary>
    public DateTimeOffset? RemovedFromKlaviyoAt { get; set; }

    public List<CampaignMessage> Messages { get; set; } = [];

    public bool IsAbTest => Messages.Count > 1;
}

/// <summary>One message (an A/B variation, or the only message) of a campaign.</summary>
public sealed class CampaignMessage
{
    public int Id { get; set; }

    public int CampaignId { get; set; }

    public required string KlaviyoId { get; set; }

    public string Channel { get; set; } = "email";

    /// <summary>The A/B variation name Klaviyo shows.</summary>
    public string? Label { get; set; }

    public string? Subject { get; set; }

    public string? PreviewText { get; set; }

    public string? TemplateId { get; set; }
}
