using FluentValidation.Results;

namespace Refly.Core.Settings;

/// <summary>One stored setting: its key (also the configuration key it overrides) and whether it is a secret.</summary>
/// <param name="Key">e.g. <c>Triggers:TagName</c>.</param>
/// <param name="Secret">Stored encrypted with Data Protection, never logged, only ever shown masked.</param>
public sealed record SettingKey(string Key, bool Secret = false);

/// <summary>
/// A feature's part of the settings saved in the UI: the keys it stores. Each feature registers its sections in its own
/// <c>AddXyz</c> (<see cref="SettingsSectionServiceCollectionExtensions.AddSettingsSection{TSection}"/>);
/// <see cref="SettingsService"/> loads the keys of every registered section, and saves and resets one section at a time.
/// </summary>
public interface ISettingsSection
{
    /// <summary>What the section is called in logs, e.g. "Tag trigger".</summary>
    string Name { get; }

    /// <summary>The keys this section stores; no two sections share a key.</summary>
    IReadOnlyList<SettingKey> Keys { get; }
}

/// <summary>A section saved from a form: how the input is validated and which values it stores.</summary>
/// <typeparam name="TInput">What the admin submits, as typed.</typeparam>
public interface ISettingsSection<in TInput> : ISettingsSection
{
    /// <summary>Whether <paramref name="input"/> can be saved, with the reasons when not.</summary>
    ValidationResult Validate(TInput input);

    /// <summary>The values a valid <paramref name="input"/> stores, by key: null deletes (configuration applies again), a key left out keeps its value.</summary>
    IReadOnlyDictionary<string, string?> ToStored(TInput input);
}

/// <summary>The common part of a section: whether its values are saved here (the others come from configuration).</summary>
/// <param name="saved">The saved values in use.</param>
public abstract class SettingsSection<TInput>(RuntimeSettings saved) : ISettingsSection<TInput>
{
    /// <inheritdoc />
    public abstract string Name { get; }

    /// <inheritdoc />
    public abstract IReadOnlyList<SettingKey> Keys { get; }

    /// <summary>Whether any of the section's values is saved here (overriding configuration).</summary>
    public bool AnySaved => Keys.Any(k => IsSaved(k.Key));

    /// <inheritdoc />
    public abstract ValidationResult Validate(TInput input);

    /// <inheritdoc />
    public abstract IReadOnlyDictionary<string, string?> ToStored(TInput input);

    /// <summary>The saved value of <paramref name="key"/>, or null when configuration applies.</summary>
    protected string? Saved(string key) => saved.Get(key);

    /// <summary>Whether <paramref name="key"/> is saved here.</summary>
    protected bool IsSaved(string key) => saved.Get(key) is not null;

    /// <summary><paramref name="value"/> (what the options say now) with whether <paramref name="key"/> is saved here.</summary>
    protected SettingValue<T> InUse<T>(T value, string key) => new(value, IsSaved(key));
}
