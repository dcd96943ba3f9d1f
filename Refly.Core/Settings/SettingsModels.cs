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
