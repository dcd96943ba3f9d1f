namespace Refly.Core.Campaigns;

/// <summary>The high-level status the dashboard shows for a campaign.</summary>
public enum CampaignStatus
{
    Unknown = 0,
    Draft,
    Scheduled,
    Sending,
    Sent,
    Cancelled,
}

/// <summary>Maps Klaviyo's raw campaign statuses (revision 2026-07-15 lists 18) to <see cref="CampaignStatus"/>.</summary>
public static class CampaignStatusMapper
{
    private static readonly Dictionary<string, CampaignStatus> _byRawStatus = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Draft"] = CampaignStatus.Draft,
        ["Scheduled"] = CampaignStatus.Scheduled,
        // Klaviyo is still placing the send job; to the marketer it is already scheduled.
        ["Preparing to schedule"] = CampaignStatus.Scheduled,
        ["Preparing to send"] = CampaignStatus.Sending,
        ["Adding Recipients"] = CampaignStatus.Sending,
        ["Queued without Recipients"] = CampaignStatus.Sending,
        ["Sending"] = CampaignStatus.Sending,
        ["Sending Segments"] = CampaignStatus.Sending,
        // An A/B test whose variations went out while the winner is still pending: the send is under way.
        ["Variations Sent"] = CampaignStatus.Sending,
        ["Sent"] = CampaignStatus.Sent,
        ["Cancelled"] = CampaignStatus.Cancelled,
        ["Cancelled: Account Disabled"] = CampaignStatus.Cancelled,
        ["Cancelled: Billing Limit"] = CampaignStatus.Cancelled,
        ["Cancelled: Internal Error"] = CampaignStatus.Cancelled,
        ["Cancelled: Misconfigured"] = CampaignStatus.Cancelled,
        ["Cancelled: No Recipients"] = CampaignStatus.Cancelled,
        ["Cancelled: Smart Sending"] = CampaignStatus.Cancelled,
        ["Unknown"] = CampaignStatus.Unknown,
    };

    /// <summary>The raw statuses this mapper knows, in Klaviyo's spelling.</summary>
    public static IReadOnlyCollection<string> KnownRawStatuses => _byRawStatus.Keys;

    /// <summary>Maps a raw Klaviyo status; anything unmapped (or missing) is <see cref="CampaignStatus.Unknown"/>.</summary>
    public static CampaignStatus Map(string? rawStatus) =>
        rawStatus is not null && _byRawStatus.TryGetValue(rawStatus.Trim(), out var status) ? status : CampaignStatus.Unknown;
}
