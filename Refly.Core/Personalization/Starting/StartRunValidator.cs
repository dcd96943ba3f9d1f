using FluentValidation;
using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>A request to personalize the selected messages of a campaign.</summary>
/// <param name="CampaignId">Klaviyo campaign id.</param>
/// <param name="MessageIds">Klaviyo ids of the messages to personalize.</param>
/// <param name="Trigger">Manual or Tag.</param>
/// <param name="StartedBy">User name (manual) or tag name (tag).</param>
public sealed record StartRunRequest(string CampaignId, IReadOnlyList<string> MessageIds, RunTrigger Trigger, string? StartedBy);

/// <summary>What the validator checks a request against: the campaign as last synced and its active run.</summary>
public sealed record StartRunContext(StartRunRequest Request, Campaign? Campaign, PersonalizationRun? ActiveRun, SendTimeCheckResult SendTime);

/// <summary>Error codes of refused starts; the automation API maps them to HTTP statuses.</summary>
public static class StartRunErrors
{
    public const string CampaignNotFound = "CampaignNotFound";
    public const string NotEligible = "NotEligible";
    public const string NoMessageSelected = "NoMessageSelected";
    public const string UnknownMessage = "UnknownMessage";
    public const string RunAlreadyActive = "RunAlreadyActive";
    public const string SendTime = "SendTime";
}

/// <summary>Every reason a run may not start, with the wording the UI and the API both show.</summary>
public sealed class StartRunValidator : AbstractValidator<StartRunContext>
{
    public StartRunValidator()
    {
        // Stop at the first failure: the "removed" check must not run on a missing campaign (it threw: 500 for unknown ids).
        RuleFor(c => c.Campaign)
            .Cascade(CascadeMode.Stop)
            .NotNull()
            .WithErrorCode(StartRunErrors.CampaignNotFound)
            .WithMessage(c => $"No campaign with id '{c.Request.CampaignId}' is known; it may not be synced from Klaviyo yet.")
            .Must(c => c!.RemovedFromKlaviyoAt is null)
            .WithErrorCode(StartRunErrors.CampaignNotFound)
            .WithMessage("This campaign no longer exists in Klaviyo.");

        When(c => c.Campaign is { RemovedFromKlaviyoAt: null }, () =>
        {
            RuleFor(c => c.Campaign!.Status)
                .Must(PersonalizationEligibility.IsEligibleStatus)
                .WithErrorCode(StartRunErrors.NotEligible)
                .WithMessage(c => PersonalizationEligibility.StatusReason(c.Campaign!.Status)!);

            RuleFor(c => c.Request.MessageIds)
                .NotEmpty()
                .WithErrorCode(StartRunErrors.NoMessageSelected)
                .WithMessage("Select at least one message to personalize.");

            RuleForEach(c => c.Request.MessageIds)
                .Must((c, id) => c.Campaign!.Messages.Any(m => m.KlaviyoId == id && string.Equals(m.Channel, "email", StringComparison.OrdinalIgnoreCase)))
                .WithErrorCode(StartRunErrors.UnknownMessage)
                .WithMessage((c, id) => $"Message '{id}' is not an email message of this campaign.");

            RuleFor(c => c.ActiveRun)
                .Null()
                .WithErrorCode(StartRunErrors.RunAlreadyActive)
                .WithMessage(c => $"A personalization run is already {PersonalizationEligibility.StateText(c.ActiveRun!.State)} for this campaign.");

            RuleFor(c => c.SendTime)
                .Must(s => s.IsAllowed)
                .WithErrorCode(StartRunErrors.SendTime)
                .WithMessage(c => c.SendTime.Reason ?? "The send time does not allow personalization.");
        });
    }
}

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
