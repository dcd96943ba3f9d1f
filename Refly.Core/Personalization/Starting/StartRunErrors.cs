namespace Refly.Core.Personalization;

/// <summary>Error codes of refused starts; the automation API maps them to HTTP statuses.</summary>
public static class StartRunErrors
{
    public const string CampaignNotFound = "CampaignNotFound";
    public const string NotEligible = "NotEligible";
    public const string NoMessageSelected = "NoMessageSelected";
    public const string UnknownMessage = "UnknownMessage";
    public const string RunAlreadyActive = "RunAlreadyActive";
    public const string SendTime = "SendTime";
    public const string UnknownPersonalizer = "UnknownPersonalizer";
    public const string NoModel = "NoModel";
    public const string InvalidHoldout = "InvalidHoldout";
    public const string InvalidBrief = CampaignBriefValidator.ErrorCode;
}
