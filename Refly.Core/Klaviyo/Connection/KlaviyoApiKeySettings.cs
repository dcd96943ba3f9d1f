using FluentValidation;
using FluentValidation.Results;
using Refly.Core.Settings;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The Klaviyo private API key saved in Settings (a secret: encrypted at rest, only ever shown masked). It does not
/// override <see cref="KlaviyoOptions.ApiKey"/>: the Klaviyo connection reads <see cref="Stored"/> on every request, so a
/// saved key wins over configuration and over the demo sandbox. Only <see cref="KlaviyoKeyService"/> saves it, once
/// Klaviyo accepted the key.
/// </summary>
public sealed class KlaviyoApiKeySettings(RuntimeSettings saved) : SettingsSection<string?>(saved)
{
    /// <summary>Setting key of the Klaviyo private API key (secret).</summary>
    public const string ApiKey = "Klaviyo:ApiKey";

    private static readonly KlaviyoApiKeyValidator _validator = new();

    /// <inheritdoc />
    public override string Name => "Klaviyo API key";

    /// <inheritdoc />
    public override IReadOnlyList<SettingKey> Keys { get; } = [new(ApiKey, Secret: true)];

    /// <summary>The Klaviyo key saved in Settings, or null (then configuration or the demo sandbox applies).</summary>
    public string? Stored => Saved(ApiKey);

    /// <summary>The stored key masked for display (e.g. <c>pk_••••••••3f2a</c>), or null.</summary>
    public string? Masked => StoredValue.Mask(Stored);

    /// <inheritdoc />
    public override ValidationResult Validate(string? input) => _validator.Validate(input?.Trim() ?? "");

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string?> ToStored(string? input) => new Dictionary<string, string?> { [ApiKey] = input!.Trim() };
}

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
