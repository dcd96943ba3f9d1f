using FluentValidation.Results;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Refly.Core.Persistence;

namespace Refly.Core.Settings;

/// <summary>One stored setting; secret values are Data Protection ciphertext, never clear text.</summary>
public sealed class StoredSetting
{
    public required string Key { get; set; }

    public required string Value { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The Settings table, in the accounts store.</summary>
internal sealed class StoredSettingConfiguration : IAccountsEntityConfiguration<StoredSetting>
{
    public void Configure(EntityTypeBuilder<StoredSetting> setting)
    {
        setting.ToTable("Settings");
        setting.HasKey(s => s.Key);
        setting.Property(s => s.Key).HasMaxLength(100);
        setting.Property(s => s.Value).HasMaxLength(8_000);
    }
}

/// <summary>Outcome of "Test connection".</summary>
public sealed record ConnectionTestResult(bool Succeeded, string Message)
{
    /// <summary>The account reached, when <see cref="Succeeded"/>.</summary>
    public Klaviyo.KlaviyoAccount? Account { get; init; }
}

/// <summary>Outcome of a save: the reasons when refused.</summary>
public sealed record SettingsResult(bool Succeeded, IReadOnlyList<string> Errors)
{
    public static SettingsResult Ok { get; } = new(true, []);

    /// <summary>A refusal with the validation's messages, each once.</summary>
    public static SettingsResult Refused(ValidationResult validation) =>
        new(false, validation.Errors.Select(e => e.ErrorMessage).Distinct().ToList());
}

/// <summary>A value in use and whether it was saved in Settings (true) or comes from configuration (false).</summary>
public sealed record SettingValue<T>(T Value, bool Saved);

/// <summary>The operational settings as the Settings page shows them.</summary>
/// <param name="TagName">Tag that starts the automatic flow.</param>
/// <param name="PollInterval">How often the tag is polled.</param>
/// <param name="SyncInterval">How often campaigns are synced.</param>
/// <param name="Personalizer"><c>rule-based</c> or <c>llm</c>.</param>
/// <param name="LlmEndpoint">OpenAI-compatible base URL, or null (api.openai.com).</param>
/// <param name="LlmModelId">Model id, or null.</param>
/// <param name="MaskedLlmApiKey">The LLM key masked (never in clear), or null when there is none.</param>
/// <param name="RateLimitShare">The most of each Klaviyo endpoint's rate limit Refly uses (0.1 to 1.0).</param>
public sealed record OperationalSettingsView(
    SettingValue<string> TagName,
    SettingValue<TimeSpan> PollInterval,
    SettingValue<TimeSpan> SyncInterval,
    SettingValue<string> Personalizer,
    SettingValue<string?> LlmEndpoint,
    SettingValue<string?> LlmModelId,
    SettingValue<string?> MaskedLlmApiKey,
    SettingValue<double> RateLimitShare)
{
    /// <summary>Whether the automatic flow's tag or poll interval is saved here (overriding configuration).</summary>
    public bool TriggerSaved => TagName.Saved || PollInterval.Saved;

    /// <summary>Whether any of the personalizer's values is saved here (overriding configuration).</summary>
    public bool PersonalizerSaved => Personalizer.Saved || LlmEndpoint.Saved || LlmModelId.Saved || MaskedLlmApiKey.Saved;
}
