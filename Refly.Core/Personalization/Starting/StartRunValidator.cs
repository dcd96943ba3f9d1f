using System.Globalization;
using FluentValidation;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>What the validator checks a request against: the campaign as last synced and its active run.</summary>
public sealed record StartRunContext(StartRunRequest Request, Campaign? Campaign, PersonalizationRun? ActiveRun, SendTimeCheckResult SendTime);

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

        RuleFor(c => c.Request.Personalizer)
            .Must(p => p is null || PersonalizerNames.IsKnown(p))
            .WithErrorCode(StartRunErrors.UnknownPersonalizer)
            .WithMessage(c => $"Unknown personalizer '{c.Request.Personalizer}': use one of {string.Join(", ", PersonalizerNames.All.Select(n => $"'{n}'"))}.");

        RuleFor(c => c.Request.HoldoutShare)
            .Must(share => double.IsFinite(share) && share is >= 0 and <= HoldoutSelector.MaxShare)
            .WithErrorCode(StartRunErrors.InvalidHoldout)
            .WithMessage(c => $"The holdout share must be between 0 and {HoldoutSelector.MaxShare.ToString(CultureInfo.InvariantCulture)} (0% to 50% of the audience); got {c.Request.HoldoutShare.ToString(CultureInfo.InvariantCulture)}.")
            .OverridePropertyName("HoldoutShare");

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

            RuleFor(c => c.Request.Brief!)
                .SetValidator(new CampaignBriefValidator())
                .When(c => c.Request.Brief is not null)
                .OverridePropertyName("Brief");

            RuleFor(c => c.SendTime)
                .Must(s => s.IsAllowed)
                .WithErrorCode(StartRunErrors.SendTime)
                .WithMessage(c => c.SendTime.Reason ?? "The send time does not allow personalization.");
        });
    }
}
