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

/// <summary>Parses the intervals typed in Settings: <c>hh:mm:ss</c> (or <c>d.hh:mm:ss</c>), or a number with s, min or h.</summary>
public static class IntervalInput
{
    /// <summary>Parses <paramref name="text"/>; false when it is not an interval.</summary>
    public static bool TryParse(string? text, out TimeSpan interval)
    {
        interval = default;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            return false;
        }
        if (value.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out interval);
        }
        var unitStart = 0;
        while (unitStart < value.Length && (char.IsAsciiDigit(value[unitStart]) || value[unitStart] == '.'))
        {
            unitStart++;
        }
        if (!double.TryParse(value[..unitStart], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        double? seconds = value[unitStart..].Trim().ToLowerInvariant() switch
        {
            "s" or "sec" or "second" or "seconds" => number,
            "m" or "min" or "minute" or "minutes" => number * 60,
            "h" or "hour" or "hours" => number * 3600,
            _ => null,
        };
        // Far too long still counts as a duration, so the admin is told the bounds rather than "not a duration".
        interval = seconds is null ? default : seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds.Value);
        return seconds is not null;
    }

    /// <summary>How an interval is put back into the form (e.g. <c>00:01:30</c>).</summary>
    public static string Format(TimeSpan interval) => SettingKeys.FormatInterval(interval);
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

/// <summary>An interval as typed, within bounds (a rule, not a child validator: those skip null values).</summary>
internal static class IntervalRules
{
    public static IRuleBuilderOptions<T, string?> Interval<T>(this IRuleBuilderInitial<T, string?> rule, string label, TimeSpan min, TimeSpan max) =>
        rule.Cascade(CascadeMode.Stop)
            .Must(text => IntervalInput.TryParse(text, out _))
                .WithMessage($"{label}: enter a duration such as 00:05:00, 90s, 5min or 2h.")
            .Must(text => IntervalInput.TryParse(text, out var interval) && interval >= min && interval <= max)
                .WithMessage($"{label} must be between {Describe(min)} and {Describe(max)}.");

    private static string Describe(TimeSpan interval) =>
        interval.TotalHours >= 1 ? $"{interval.TotalHours:0} h" : interval.TotalMinutes >= 1 ? $"{interval.TotalMinutes:0} min" : $"{interval.TotalSeconds:0} s";
}

/// <summary>What the admin submits for the personalizer.</summary>
/// <param name="Personalizer"><c>rule-based</c> or <c>llm</c>.</param>
/// <param name="Endpoint">Base URL of an OpenAI-compatible endpoint; empty falls back to configuration.</param>
/// <param name="ModelId">Model id; empty falls back to configuration.</param>
/// <param name="NewApiKey">A new LLM API key; empty keeps the saved one (see <paramref name="RemoveApiKey"/>).</param>
/// <param name="RemoveApiKey">Forget the saved key (configuration, or no key, applies again).</param>
public sealed record PersonalizerSettingsInput(string? Personalizer, string? Endpoint, string? ModelId, string? NewApiKey = null, bool RemoveApiKey = false);

/// <summary>The personalizer choice and the LLM endpoint, model and key.</summary>
public sealed class PersonalizerSettingsValidator : AbstractValidator<PersonalizerSettingsInput>
{
    /// <param name="builtInModel">Whether a built-in model stands in when no endpoint is given (demo mode); then the endpoint, and the model without one, may be empty.</param>
    public PersonalizerSettingsValidator(bool builtInModel = false)
    {
        RuleFor(input => input.Personalizer)
            .Must(p => p is Personalization.RuleBasedPersonalizer.PersonalizerName or Personalization.LlmPersonalizer.PersonalizerName)
            .WithMessage("Choose the rule-based or the LLM personalizer.");
        When(input => input.Personalizer == Personalization.LlmPersonalizer.PersonalizerName
            && !(builtInModel && string.IsNullOrWhiteSpace(input.Endpoint)), () =>
        {
            RuleFor(input => input.Endpoint)
                .Must(endpoint => !string.IsNullOrWhiteSpace(endpoint))
                .WithMessage("The LLM personalizer needs an endpoint: the base URL of an OpenAI-compatible API (e.g. http://localhost:11434/v1).");
            RuleFor(input => input.ModelId)
                .Must(model => !string.IsNullOrWhiteSpace(model))
                .WithMessage("The LLM personalizer needs a model (e.g. llama3.1 or gpt-4o-mini).");
        });
        RuleFor(input => input.Endpoint)
            .Must(BeAnHttpUrl).When(input => !string.IsNullOrWhiteSpace(input.Endpoint))
            .WithMessage("The LLM endpoint must be an absolute http:// or https:// URL, without a user name or password in it.");
        RuleFor(input => input.ModelId)
            .Must(model => model!.Trim().Length <= 200 && !model.Any(char.IsControl)).When(input => !string.IsNullOrWhiteSpace(input.ModelId))
            .WithMessage("That is not a model id (too long, or it has control characters).");
        RuleFor(input => input.NewApiKey)
            .Must(key => key!.Trim().Length <= 500 && !key.Trim().Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            .When(input => !string.IsNullOrWhiteSpace(input.NewApiKey))
            .WithMessage("An API key has no spaces and is at most 500 characters.");
    }

    private static bool BeAnHttpUrl(string? endpoint) =>
        Uri.TryCreate(endpoint?.Trim(), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.UserInfo);
}

/// <summary>What the admin submits for Klaviyo's rate limits.</summary>
/// <param name="Share">The most of each endpoint's limit Refly uses, as typed: a fraction (<c>0.9</c>) or a percentage (<c>90%</c>).</param>
public sealed record RateLimitSettingsInput(string? Share);

/// <summary>Parses the share typed in Settings: a fraction such as <c>0.9</c>, or a percentage such as <c>90%</c>.</summary>
public static class ShareInput
{
    /// <summary>Parses <paramref name="text"/> into a fraction (0.9 for "90%"); false when it is not a number.</summary>
    public static bool TryParse(string? text, out double share)
    {
        share = 0;
        var value = text?.Trim() ?? "";
        var percent = value.EndsWith('%');
        if (percent)
        {
            value = value[..^1].TrimEnd();
        }
        if (!double.TryParse(value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        share = percent ? number / 100 : number;
        return true;
    }

    /// <summary>How a share is put back into the form (e.g. <c>90%</c>).</summary>
    public static string Format(double share) => (share * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";
}

/// <summary>The share of Klaviyo's rate limits: within the bounds <see cref="Klaviyo.KlaviyoOptions"/> accepts at start.</summary>
public sealed class RateLimitSettingsValidator : AbstractValidator<RateLimitSettingsInput>
{
    public RateLimitSettingsValidator() =>
        RuleFor(input => input.Share)
            .Cascade(CascadeMode.Stop)
            .Must(text => ShareInput.TryParse(text, out _))
                .WithMessage("Share of Klaviyo's rate limits: enter a percentage such as 90% (or a fraction such as 0.9).")
            .Must(text => ShareInput.TryParse(text, out var share)
                && share >= Klaviyo.KlaviyoOptions.MinRateLimitShare && share <= Klaviyo.KlaviyoOptions.MaxRateLimitShare)
                .WithMessage("Share of Klaviyo's rate limits must be between 10% and 100%.");
}
