using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>What the campaigns table offers on a row's action icon.</summary>
public enum PersonalizationActionKind
{
    /// <summary>The sparkle: start (enabled or disabled with a reason).</summary>
    Personalize,

    /// <summary>A run is Queued or In Progress: cancel it.</summary>
    Cancel,

    /// <summary>A cancel is under way: a loading indicator, not clickable.</summary>
    Cancelling,
}

/// <summary>The row's action and, when the sparkle is disabled, why.</summary>
public sealed record PersonalizationAction(PersonalizationActionKind Kind, bool Enabled, string? DisabledReason);

/// <summary>The rule behind the action icon; the Razor component only renders it.</summary>
public static class PersonalizationActions
{
    public static PersonalizationAction For(Campaign campaign, RunView? latestRun)
    {
        switch (latestRun?.State)
        {
            case RunState.Queued or RunState.InProgress:
                return new PersonalizationAction(PersonalizationActionKind.Cancel, true, null);
            case RunState.Cancelling:
                return new PersonalizationAction(PersonalizationActionKind.Cancelling, false, "Cancelling: stopping in-flight work and restoring the original content");
        }

        if (campaign.RemovedFromKlaviyoAt is not null)
        {
            return new PersonalizationAction(PersonalizationActionKind.Personalize, false, "This campaign no longer exists in Klaviyo.");
        }
        var reason = PersonalizationEligibility.StatusReason(campaign.Status);
        return reason is null
            ? new PersonalizationAction(PersonalizationActionKind.Personalize, true, null)
            : new PersonalizationAction(PersonalizationActionKind.Personalize, false, reason);
    }
}
