using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>Which campaigns may be personalized, and how to say why not.</summary>
public static class PersonalizationEligibility
{
    public static bool IsEligibleStatus(CampaignStatus status) => status is CampaignStatus.Draft or CampaignStatus.Scheduled;

    /// <summary>Why a campaign in this status cannot be personalized; null when it can.</summary>
    public static string? StatusReason(CampaignStatus status) => status switch
    {
        CampaignStatus.Draft or CampaignStatus.Scheduled => null,
        CampaignStatus.Sending => "This campaign is already sending; only Draft or Scheduled campaigns can be personalized.",
        CampaignStatus.Sent => "This campaign has been sent; only Draft or Scheduled campaigns can be personalized.",
        CampaignStatus.Cancelled => "This campaign was cancelled in Klaviyo; only Draft or Scheduled campaigns can be personalized.",
        _ => "Klaviyo reports a status Refly does not know for this campaign; only Draft or Scheduled campaigns can be personalized.",
    };

    /// <summary>A run state in the product's words ("In Progress", "Cancelling", ...).</summary>
    public static string StateText(RunState state) => state switch
    {
        RunState.InProgress => "In Progress",
        _ => state.ToString(),
    };
}
