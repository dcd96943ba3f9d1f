namespace Refly.Core.Triggers;

/// <summary>The "Triggers" configuration section: the Klaviyo tag that starts automatic personalization and how often it is polled.</summary>
public sealed class TriggerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Triggers";

    /// <summary>The tag name the product documents.</summary>
    public const string DefaultTagName = "Refly: Personalize";

    /// <summary>Exact (case-sensitive) name of the Klaviyo tag that starts personalization of a Scheduled campaign.</summary>
    public string TagName { get; set; } = DefaultTagName;

    /// <summary>How often Klaviyo is asked which campaigns carry the tag. Each poll costs two tag requests (tags allow 60 a minute).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// At most this many tagged campaigns unknown to the local copy are fetched one by one per poll (campaign reads allow
    /// 150 a minute); the rest wait for the next poll or the next campaign sync.
    /// </summary>
    public int MaxCampaignRefreshesPerPoll { get; set; } = 25;

    /// <summary>The read-only caption the campaigns page shows, e.g. "Automatic: campaigns tagged 'Refly: Personalize' are checked every 1 min".</summary>
    public string Summary => $"Automatic: Scheduled campaigns tagged '{TagName}' are checked every {FormatInterval(PollInterval)}.";

    private static string FormatInterval(TimeSpan interval) => interval switch
    {
        { TotalHours: >= 1 } when interval.TotalHours % 1 == 0 => $"{interval.TotalHours:0} h",
        { TotalMinutes: >= 1 } when interval.TotalMinutes % 1 == 0 => $"{interval.TotalMinutes:0} min",
        _ => $"{interval.TotalSeconds:0.#} s",
    };
}
