using Refly.Core.Campaigns;
using Refly.Core.Personalization;

namespace Refly.Core.Triggers;

/// <summary>What the tag poller does with one campaign.</summary>
public enum TagTriggerAction
{
    /// <summary>Nothing to do or record.</summary>
    None,

    /// <summary>Start a run for every email message of the campaign.</summary>
    Start,

    /// <summary>Tagged, but not started now; the reason is logged and recorded.</summary>
    Skip,

    /// <summary>The tag is gone: the next time it is seen, it may start a run again.</summary>
    Rearm,
}

/// <summary>Codes of <see cref="TagTriggerDecision"/>s, stored on <see cref="TagTriggerState.LastDecision"/>.</summary>
public static class TagTriggerCodes
{
    public const string Tagged = "Tagged";
    public const string ContentChanged = "ContentChanged";
    public const string NotTagged = "NotTagged";
    public const string Rearmed = "Rearmed";
    public const string CampaignNotFound = "CampaignNotFound";
    public const string RunActive = "RunActive";
    public const string Cancelled = "Cancelled";
    public const string Failed = "Failed";
    public const string AlreadyPersonalized = "AlreadyPersonalized";
    public const string NotScheduled = "NotScheduled";
    public const string NoMessages = "NoMessages";
    public const string SendTime = "SendTime";
    public const string Refused = "Refused";
}

/// <summary>The decision for one campaign and its reason in the marketer's words.</summary>
public sealed record TagTriggerDecision(TagTriggerAction Action, string Code, string Reason)
{
    public bool Starts => Action == TagTriggerAction.Start;
}

/// <summary>Everything the decision depends on, read by the poller.</summary>
/// <param name="Tagged">The poll found the tag on the campaign.</param>
/// <param name="Campaign">The campaign as last synced; null when unknown locally.</param>
/// <param name="State">The trigger's memory of the campaign; null before the tag was first seen.</param>
/// <param name="ActiveRun">The campaign's Queued, InProgress or Cancelling run, if any.</param>
/// <param name="AnsweringRun">
/// When the trigger is disarmed: the campaign's latest run (the tag run, or a later one a marketer started by hand).
/// </param>
/// <param name="ContentChanged">
/// The campaign's content or send time differs from what <paramref name="AnsweringRun"/> started from.
/// </param>
/// <param name="SendTime">The send-time check of the campaign now.</param>
/// <param name="TagNameChanged">
/// Not tagged, but the trigger remembers the campaign under another tag name than the one polled now (the name was changed
/// in Settings): its absence from this tag says nothing about the tag it carried.
/// </param>
public sealed record TagTriggerFacts(
    bool Tagged,
    Campaign? Campaign,
    TagTriggerState? State,
    PersonalizationRun? ActiveRun,
    PersonalizationRun? AnsweringRun,
    bool ContentChanged,
    SendTimeCheckResult SendTime,
    bool TagNameChanged = false);

/// <summary>
/// The tag trigger's rules as a pure function (issue #5): a tagged Scheduled campaign starts once per tagging; a cancelled
/// or failed tag run is not restarted while the tag stays; a completed one repeats only when the content or send time
/// changed since; campaigns whose send time passed or is inside Klaviyo's 15-minute lock are skipped.
/// </summary>
public static class TagTriggerRules
{
    /// <summary>Decides what to do with one campaign.</summary>
    public static TagTriggerDecision Decide(TagTriggerFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        if (!facts.Tagged)
        {
            // A new tag name is not a removal of the old tag: saving a typo and then fixing it must re-personalize nothing.
            return facts.State is { Armed: false } && !facts.TagNameChanged
                ? new(TagTriggerAction.Rearm, TagTriggerCodes.Rearmed, "The tag was removed; adding it again starts personalization again.")
                : new(TagTriggerAction.None, TagTriggerCodes.NotTagged, "The campaign does not carry the tag.");
        }

        var campaign = facts.Campaign;
        if (campaign is null || campaign.RemovedFromKlaviyoAt is not null)
        {
            return Skip(TagTriggerCodes.CampaignNotFound, "The campaign is not known locally yet; it is picked up once synced from Klaviyo.");
        }
        if (facts.ActiveRun is { } active)
        {
            return Skip(TagTriggerCodes.RunActive, $"A personalization run is already {PersonalizationEligibility.StateText(active.State)} for this campaign.");
        }

        var code = TagTriggerCodes.Tagged;
        var reason = "The campaign carries the tag and is Scheduled.";
        if (facts.State is { Armed: false })
        {
            switch (facts.AnsweringRun?.State)
            {
                case null:
                    return Skip(TagTriggerCodes.AlreadyPersonalized, "The tag already started personalization of this campaign.");
                case RunState.Cancelled:
                    return Skip(TagTriggerCodes.Cancelled,
                        "The personalization was cancelled; remove the tag and add it again (or start it by hand) to personalize again.");
                case RunState.Failed:
                    return Skip(TagTriggerCodes.Failed,
                        "The personalization failed; remove the tag and add it again (or start it by hand) to try again.");
                case RunState.Completed when !facts.ContentChanged:
                    return Skip(TagTriggerCodes.AlreadyPersonalized, "The campaign is already personalized.");
                case RunState.Completed:
                    code = TagTriggerCodes.ContentChanged;
                    reason = "The campaign's content or send time changed since it was personalized: personalizing it again.";
                    break;
                default:
                    // An active run was handled above; any other state is not one this rule set knows.
                    return Skip(TagTriggerCodes.RunActive, "A personalization run is under way for this campaign.");
            }
        }

        if (campaign.Status != CampaignStatus.Scheduled)
        {
            return Skip(TagTriggerCodes.NotScheduled, $"The tag starts only Scheduled campaigns; this one is {campaign.Status}.");
        }
        if (!campaign.Messages.Any(IsEmail))
        {
            return Skip(TagTriggerCodes.NoMessages, "The campaign has no email message to personalize.");
        }
        if (facts.SendTime.Verdict is SendTimeVerdict.SendTimePassed or SendTimeVerdict.WithinEditLockWindow)
        {
            return Skip(TagTriggerCodes.SendTime, facts.SendTime.Reason ?? "The send time does not allow personalization.");
        }
        return new(TagTriggerAction.Start, code, reason);
    }

    /// <summary>
    /// Whether <paramref name="run"/> answers an armed trigger: it was created since the trigger was armed and covers every
    /// email message (a tag run whose state write was lost in a crash, or a marketer's full manual run).
    /// </summary>
    public static bool AnswersArmedTrigger(TagTriggerState state, Campaign campaign, PersonalizationRun? run)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(campaign);
        return state.Armed && run is not null && run.CreatedAt >= state.ArmedAt &&
            campaign.Messages.Where(IsEmail).All(m => run.MessageIds.Contains(m.KlaviyoId, StringComparer.Ordinal));
    }

    /// <summary>The Klaviyo ids of the campaign's email messages: a tag run personalizes all of them.</summary>
    public static IReadOnlyList<string> MessagesToPersonalize(Campaign campaign)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        return campaign.Messages.Where(IsEmail).Select(m => m.KlaviyoId).ToList();
    }

    private static bool IsEmail(CampaignMessage message) => string.Equals(message.Channel, "email", StringComparison.OrdinalIgnoreCase);

    private static TagTriggerDecision Skip(string code, string reason) => new(TagTriggerAction.Skip, code, reason);
}
