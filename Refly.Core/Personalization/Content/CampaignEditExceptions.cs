namespace Refly.Core.Personalization;

/// <summary>The campaign no longer exists in Klaviyo.</summary>
public sealed class CampaignGoneException(string campaignId)
    : Exception($"The campaign {campaignId} no longer exists in Klaviyo (it was deleted).");

/// <summary>Klaviyo does not allow this campaign's content to be edited now.</summary>
public sealed class CampaignNotEditableException(string message) : Exception(message);

/// <summary>The campaign was reverted to Draft for an edit and could not be scheduled again.</summary>
public sealed class CampaignRescheduleFailedException(string message, Exception? inner) : Exception(message, inner);
