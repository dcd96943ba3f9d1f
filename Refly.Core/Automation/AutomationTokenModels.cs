using FluentValidation;

namespace Refly.Core.Automation;

/// <summary>An automation token as the Settings page lists it (never the token).</summary>
public sealed record AutomationTokenView(Guid Id, string Name, string Hint, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>A token just created: <see cref="Token"/> is shown to the admin once and not kept.</summary>
public sealed record CreatedAutomationToken(AutomationTokenView View, string Token);

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
