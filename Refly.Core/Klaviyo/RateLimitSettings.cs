using FluentValidation;
using FluentValidation.Results;
using Refly.Core.Settings;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The share of Klaviyo's rate limits saved in Settings (<c>Klaviyo:RateLimitShare</c>): the next Klaviyo request is
/// paced with it, and estimates use it.
/// </summary>
public sealed class RateLimitSettings(RuntimeSettings saved, Microsoft.Extensions.Options.IOptionsMonitor<KlaviyoOptions> options)
    : SettingsSection<RateLimitSettingsInput>(saved)
{
    /// <summary>Setting key of the share (also the configuration key it overrides).</summary>
    public const string Share = "Klaviyo:RateLimitShare";

    private static readonly RateLimitSettingsValidator _validator = new();

    /// <inheritdoc />
    public override string Name => "Share of Klaviyo's rate limits";

    /// <inheritdoc />
    public override IReadOnlyList<SettingKey> Keys { get; } = [new(Share)];

    /// <summary>The share in use (0.1 to 1.0), and whether it is saved here.</summary>
    public SettingValue<double> Current => InUse(options.CurrentValue.RateLimitShare, Share);

    /// <inheritdoc />
    public override ValidationResult Validate(RateLimitSettingsInput input) => _validator.Validate(input);

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string?> ToStored(RateLimitSettingsInput input)
    {
        ShareInput.TryParse(input.Share, out var share);
        return new Dictionary<string, string?> { [Share] = StoredValue.FormatFraction(share) };
    }

    /// <summary>Applies the saved share over configuration.</summary>
    internal static void Apply(RuntimeSettings saved, KlaviyoOptions options)
    {
        if (StoredValue.ParseFraction(saved.Get(Share)) is { } share)
        {
            options.RateLimitShare = share;
        }
    }
}

/// <summary>What the admin submits for Klaviyo's rate limits.</summary>
/// <param name="Share">The most of each endpoint's limit Refly uses, as typed: a fraction (<c>0.9</c>) or a percentage (<c>90%</c>).</param>
public sealed record RateLimitSettingsInput(string? Share);

/// <summary>The share of Klaviyo's rate limits: within the bounds <see cref="KlaviyoOptions"/> accepts at start.</summary>
public sealed class RateLimitSettingsValidator : AbstractValidator<RateLimitSettingsInput>
{
    public RateLimitSettingsValidator() =>
        RuleFor(input => input.Share)
            .Cascade(CascadeMode.Stop)
            .Must(text => ShareInput.TryParse(text, out _))
                .WithMessage("Share of Klaviyo's rate limits: enter a percentage such as 90% (or a fraction such as 0.9).")
            .Must(text => ShareInput.TryParse(text, out var share)
                && share >= KlaviyoOptions.MinRateLimitShare && share <= KlaviyoOptions.MaxRateLimitShare)
                .WithMessage("Share of Klaviyo's rate limits must be between 10% and 100%.");
}
