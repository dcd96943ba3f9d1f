using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Refly.Core.Settings;

namespace Refly.Core.Triggers;

/// <summary>
/// The automatic flow's tag and poll interval saved in Settings (<c>Triggers:TagName</c>, <c>Triggers:PollInterval</c>):
/// the next poll looks for that tag, and the poll is rescheduled.
/// </summary>
public sealed class TriggerSettings(RuntimeSettings saved, IOptionsMonitor<TriggerOptions> options) : SettingsSection<TriggerSettingsInput>(saved)
{
    /// <summary>Setting key of the tag name.</summary>
    public const string TagName = "Triggers:TagName";

    /// <summary>Setting key of the poll interval.</summary>
    public const string PollInterval = "Triggers:PollInterval";

    private static readonly TriggerSettingsValidator _validator = new();

    /// <inheritdoc />
    public override string Name => "Tag trigger";

    /// <inheritdoc />
    public override IReadOnlyList<SettingKey> Keys { get; } = [new(TagName), new(PollInterval)];

    /// <summary>The tag and poll interval in use, and whether each is saved here.</summary>
    public TriggerSettingsView Current
    {
        get
        {
            var current = options.CurrentValue;
            return new TriggerSettingsView(InUse(current.TagName, TagName), InUse(current.PollInterval, PollInterval));
        }
    }

    /// <inheritdoc />
    public override ValidationResult Validate(TriggerSettingsInput input) => _validator.Validate(input);

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string?> ToStored(TriggerSettingsInput input)
    {
        IntervalInput.TryParse(input.PollInterval, out var interval);
        return new Dictionary<string, string?>
        {
            [TagName] = input.TagName!.Trim(),
            [PollInterval] = StoredValue.FormatInterval(interval),
        };
    }

    /// <summary>Applies the saved tag and interval over configuration.</summary>
    internal static void Apply(RuntimeSettings saved, TriggerOptions options)
    {
        if (saved.Get(TagName) is { } tagName)
        {
            options.TagName = tagName;
        }
        if (StoredValue.ParseInterval(saved.Get(PollInterval)) is { } interval)
        {
            options.PollInterval = interval;
        }
    }
}

/// <summary>The automatic flow's values in use, as the Settings page shows them.</summary>
public sealed record TriggerSettingsView(SettingValue<string> TagName, SettingValue<TimeSpan> PollInterval)
{
    /// <summary>Whether the tag or the poll interval is saved here (overriding configuration).</summary>
    public bool Saved => TagName.Saved || PollInterval.Saved;
}

/// <summary>What the admin submits for the automatic flow.</summary>
/// <param name="TagName">The Klaviyo tag that starts personalization (trimmed on save).</param>
/// <param name="PollInterval">How often the tag is polled, as typed (see <see cref="IntervalInput"/>).</param>
public sealed record TriggerSettingsInput(string? TagName, string? PollInterval);

/// <summary>The automatic flow's tag and poll interval.</summary>
public sealed class TriggerSettingsValidator : AbstractValidator<TriggerSettingsInput>
{
    /// <summary>
    /// Klaviyo's tag schema (create_tag, get_tags) documents no maximum length; this bound is ours, so a typo cannot
    /// become an unbounded filter in every poll's URL.
    /// </summary>
    public const int MaxTagNameLength = 100;

    /// <summary>A poll costs 2 tag requests and tags allow 60 a minute: every 15 s uses 8 a minute, leaving room for the UI and retries.</summary>
    public static readonly TimeSpan MinPollInterval = TimeSpan.FromSeconds(15);

    public static readonly TimeSpan MaxPollInterval = TimeSpan.FromHours(24);

    public TriggerSettingsValidator()
    {
        RuleFor(input => input.TagName)
            .Cascade(CascadeMode.Stop)
            .Must(name => !string.IsNullOrWhiteSpace(name)).WithMessage("Enter the Klaviyo tag name that starts personalization.")
            .Must(name => name!.Trim().Length <= MaxTagNameLength).WithMessage($"Keep the tag name to {MaxTagNameLength} characters or fewer.")
            .Must(name => !name!.Any(char.IsControl)).WithMessage("The tag name cannot contain control characters (such as line breaks).");
        RuleFor(input => input.PollInterval).Interval("Tag poll interval", MinPollInterval, MaxPollInterval);
    }
}
