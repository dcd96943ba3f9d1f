using System.Globalization;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Triggers;

namespace Refly.Core.Settings;

/// <summary>Keys of the operational settings an admin can change in the UI; each is also a configuration key it overrides.</summary>
public static class SettingKeys
{
    public const string TriggerTagName = "Triggers:TagName";
    public const string TriggerPollInterval = "Triggers:PollInterval";
    public const string CampaignSyncInterval = "Klaviyo:SyncInterval";
    public const string Personalizer = "Personalization:Personalizer";
    public const string LlmEndpoint = "Personalization:Llm:Endpoint";
    public const string LlmModelId = "Personalization:Llm:ModelId";
    public const string RateLimitShare = "Klaviyo:RateLimitShare";

    /// <summary>Secret: stored encrypted, like the Klaviyo key.</summary>
    public const string LlmApiKey = "Personalization:Llm:ApiKey";

    /// <summary>Every key above; rows with other keys (the Klaviyo key) are not operational settings.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        TriggerTagName, TriggerPollInterval, CampaignSyncInterval, Personalizer, LlmEndpoint, LlmModelId, LlmApiKey, RateLimitShare,
    };

    /// <summary>Keys whose values are encrypted at rest and never shown.</summary>
    public static readonly IReadOnlySet<string> Secrets = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { LlmApiKey };

    /// <summary>How intervals are stored (invariant constant format, e.g. <c>00:01:30</c>).</summary>
    internal static string FormatInterval(TimeSpan interval) => interval.ToString("c", CultureInfo.InvariantCulture);

    internal static TimeSpan? ParseStoredInterval(string? value) =>
        TimeSpan.TryParseExact(value, "c", CultureInfo.InvariantCulture, out var interval) ? interval : null;

    /// <summary>How fractions are stored (invariant round-trip, e.g. <c>0.75</c>).</summary>
    internal static string FormatFraction(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    internal static double? ParseStoredFraction(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) ? fraction : null;
}

/// <summary>
/// Applies the settings saved in the UI over what configuration bound (a post-configure step, so it runs after every
/// <c>Bind</c>); a key with no saved value leaves the configured value alone.
/// </summary>
internal sealed class StoredSettingsOptionsSetup(RuntimeSettings settings) :
    IPostConfigureOptions<TriggerOptions>,
    IPostConfigureOptions<KlaviyoOptions>,
    IPostConfigureOptions<PersonalizationOptions>,
    IPostConfigureOptions<LlmPersonalizerOptions>
{
    public void PostConfigure(string? name, TriggerOptions options)
    {
        if (settings.Get(SettingKeys.TriggerTagName) is { } tagName)
        {
            options.TagName = tagName;
        }
        if (SettingKeys.ParseStoredInterval(settings.Get(SettingKeys.TriggerPollInterval)) is { } interval)
        {
            options.PollInterval = interval;
        }
    }

    public void PostConfigure(string? name, KlaviyoOptions options)
    {
        if (SettingKeys.ParseStoredInterval(settings.Get(SettingKeys.CampaignSyncInterval)) is { } interval)
        {
            options.SyncInterval = interval;
        }
        if (SettingKeys.ParseStoredFraction(settings.Get(SettingKeys.RateLimitShare)) is { } share)
        {
            options.RateLimitShare = share;
        }
    }

    public void PostConfigure(string? name, PersonalizationOptions options)
    {
        if (settings.Get(SettingKeys.Personalizer) is { } personalizer)
        {
            options.Personalizer = personalizer;
        }
    }

    public void PostConfigure(string? name, LlmPersonalizerOptions options)
    {
        if (settings.Get(SettingKeys.LlmEndpoint) is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            options.Endpoint = uri;
        }
        if (settings.Get(SettingKeys.LlmModelId) is { } model)
        {
            options.ModelId = model;
        }
        if (settings.Get(SettingKeys.LlmApiKey) is { } apiKey)
        {
            options.ApiKey = apiKey;
        }
    }
}
