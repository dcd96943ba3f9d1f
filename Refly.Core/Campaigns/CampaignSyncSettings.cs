using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Settings;

namespace Refly.Core.Campaigns;

/// <summary>The campaign sync interval saved in Settings (<c>Klaviyo:SyncInterval</c>): the sync is rescheduled.</summary>
public sealed class CampaignSyncSettings(RuntimeSettings saved, IOptionsMonitor<KlaviyoOptions> options) : SettingsSection<CampaignSyncSettingsInput>(saved)
{
    /// <summary>Setting key of the sync interval (a <see cref="KlaviyoOptions"/> value, which configuration keeps under <c>Klaviyo</c>).</summary>
    public const string SyncInterval = "Klaviyo:SyncInterval";

    private static readonly CampaignSyncSettingsValidator _validator = new();

    /// <inheritdoc />
    public override string Name => "Campaign sync interval";

    /// <inheritdoc />
    public override IReadOnlyList<SettingKey> Keys { get; } = [new(SyncInterval)];

    /// <summary>The sync interval in use, and whether it is saved here.</summary>
    public SettingValue<TimeSpan> Current => InUse(options.CurrentValue.SyncInterval, SyncInterval);

    /// <inheritdoc />
    public override ValidationResult Validate(CampaignSyncSettingsInput input) => _validator.Validate(input);

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string?> ToStored(CampaignSyncSettingsInput input)
    {
        IntervalInput.TryParse(input.SyncInterval, out var interval);
        return new Dictionary<string, string?> { [SyncInterval] = StoredValue.FormatInterval(interval) };
    }

    /// <summary>Applies the saved interval over configuration.</summary>
    internal static void Apply(RuntimeSettings saved, KlaviyoOptions options)
    {
        if (StoredValue.ParseInterval(saved.Get(SyncInterval)) is { } interval)
        {
            options.SyncInterval = interval;
        }
    }
}

/// <summary>What the admin submits for the campaign sync.</summary>
public sealed record CampaignSyncSettingsInput(string? SyncInterval);

/// <summary>The campaign sync interval.</summary>
public sealed class CampaignSyncSettingsValidator : AbstractValidator<CampaignSyncSettingsInput>
{
    public static readonly TimeSpan MinSyncInterval = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxSyncInterval = TimeSpan.FromHours(24);

    public CampaignSyncSettingsValidator() =>
        RuleFor(input => input.SyncInterval).Interval("Campaign sync interval", MinSyncInterval, MaxSyncInterval);
}
