namespace Refly.Core.Impact.Reporting;

/// <summary>How Refly reads Klaviyo's campaign values reports (configuration section <c>Impact:Reporting</c>).</summary>
public sealed class ReportingOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Impact:Reporting";

    /// <summary>Klaviyo's daily limit of query_campaign_values (per account, a fixed UTC day).</summary>
    public const int KlaviyoDailyLimit = 225;

    /// <summary>
    /// Reports Refly asks for per UTC day, at most Klaviyo's 225: the rest is left to the account's other
    /// integrations, which share the limit.
    /// </summary>
    public int DailyQueryBudget { get; set; } = 200;

    /// <summary>How often the report job looks for due campaigns (also right after each campaign sync).</summary>
    public TimeSpan DrainInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a failed report waits before it is tried again (it spent a query of the day's budget).</summary>
    public TimeSpan RetryAfterFailure { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// The longest one report query may take, pacing included (2 a minute: a few are ~30 s apart). Longer means
    /// Klaviyo's daily window is spent by others (its 429 lasts until midnight UTC): Refly stops for the day.
    /// </summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromMinutes(5);
}
