using FluentValidation;

namespace Refly.Core.Settings;

/// <summary>A Klaviyo private API key: <c>pk_</c> followed by letters and digits.</summary>
public sealed class KlaviyoApiKeyValidator : AbstractValidator<string>
{
    public KlaviyoApiKeyValidator()
    {
        RuleFor(key => key)
            .Cascade(CascadeMode.Stop)
            .NotEmpty().WithMessage("Enter the Klaviyo private API key.")
            .MaximumLength(200).WithMessage("That is too long for a Klaviyo API key.")
            .Must(key => key.StartsWith("pk_", StringComparison.Ordinal)).WithMessage("Klaviyo private API keys start with 'pk_'.")
            .Matches("^[A-Za-z0-9_]+$").WithMessage("A Klaviyo API key has only letters, digits and '_'.");
    }
}

/// <summary>An automation token's name: a short label.</summary>
public sealed class AutomationTokenNameValidator : AbstractValidator<string>
{
    public AutomationTokenNameValidator()
    {
        RuleFor(name => name)
            .NotEmpty().WithMessage("Name the token (e.g. the script that uses it).")
            .MaximumLength(100).WithMessage("Keep the name under 100 characters.");
    }
}
