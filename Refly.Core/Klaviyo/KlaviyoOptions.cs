using Microsoft.Extensions.Options;

namespace Refly.Core.Klaviyo;

/// <summary>
/// Configuration section <c>Klaviyo</c>: where the Klaviyo API is, which key and revision to use, and how hard to retry.
/// </summary>
public sealed class KlaviyoOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "Klaviyo";

    /// <summary>Private API key. Empty means demo mode: the Dashboard fills in the sandbox's key before the host starts.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>Absolute http(s) base URL; the client appends <c>/api/...</c>.</summary>
    public string BaseUrl { get; set; } = "https://a.klaviyo.com";

    /// <summary>Value of the <c>revision</c> header.</summary>
    public string Revision { get; set; } = "2026-07-15";

    /// <summary>Campaign sync period.</summary>
    public TimeSpan SyncInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Retries after the first attempt for 408, 5xx, network errors and attempt timeouts (default 7: 8 attempts in all).
    /// 429 is not bounded by it: rate limiting is waited out for as long as it lasts.
    /// </summary>
    public int MaxRetryAttempts { get; set; } = 7;

    /// <summary>Base delay of the exponential, jittered back-off (a 429's Retry-After wins over it).</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Timeout of one HTTP attempt, not counting the time spent waiting for the client-side rate limiter.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Multiplies Klaviyo's published burst/steady limits for client-side pacing. Keep 1 against Klaviyo; a sandbox
    /// started with scaled limits (benchmarks) needs the same factor here.
    /// </summary>
    public double RateLimitScale { get; set; } = 1.0;

    /// <summary>Default of <see cref="RateLimitShare"/>.</summary>
    public const double DefaultRateLimitShare = 0.9;

    /// <summary>Smallest <see cref="RateLimitShare"/> accepted.</summary>
    public const double MinRateLimitShare = 0.1;

    /// <summary>Largest <see cref="RateLimitShare"/> accepted.</summary>
    public const double MaxRateLimitShare = 1.0;

    /// <summary>
    /// The most of each endpoint's rate limit Refly uses (0.1 to 1.0, default 0.9). Klaviyo's limits are per account and
    /// every private-key integration of the account draws on them, so Refly leaves the rest to the others, and also
    /// yields what it sees them use (from the <c>RateLimit-*</c> headers). Also editable in Admin &gt; Settings.
    /// </summary>
    public double RateLimitShare { get; set; } = DefaultRateLimitShare;

    /// <summary>
    /// Timeout of one call including every failure retry and its waits; time spent waiting on a 429 does not count
    /// (the call gets a fresh budget after each rate-limit wait).
    /// </summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Longest wait between two attempts rate-limited by a 429 without Retry-After (a Retry-After is honoured as sent).</summary>
    public TimeSpan RateLimitMaxDelay { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Validates <see cref="KlaviyoOptions"/> at start-up. An empty API key is allowed (demo mode).</summary>
internal sealed class KlaviyoOptionsValidator : IValidateOptions<KlaviyoOptions>
{
    public ValidateOptionsResult Validate(string? name, KlaviyoOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.BaseUrl, UriKind.Absolute, out var baseUrl)
            || (baseUrl.Scheme != Uri.UriSchemeHttp && baseUrl.Scheme != Uri.UriSchemeHttps))
        {
            failures.Add($"Klaviyo:BaseUrl must be an absolute http or https URL (got '{options.BaseUrl}').");
        }

        if (string.IsNullOrWhiteSpace(options.Revision))
        {
            failures.Add("Klaviyo:Revision must not be empty.");
        }

        if (options.SyncInterval <= TimeSpan.Zero)
        {
            failures.Add("Klaviyo:SyncInterval must be positive.");
        }

        if (options.MaxRetryAttempts is < 0 or > 20)
        {
            failures.Add("Klaviyo:MaxRetryAttempts must be between 0 and 20.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero)
        {
            failures.Add("Klaviyo:RetryBaseDelay must not be negative.");
        }

        if (options.AttemptTimeout <= TimeSpan.Zero || options.TotalTimeout <= TimeSpan.Zero)
        {
            failures.Add("Klaviyo:AttemptTimeout and Klaviyo:TotalTimeout must be positive.");
        }

        if (!(options.RateLimitShare >= KlaviyoOptions.MinRateLimitShare && options.RateLimitShare <= KlaviyoOptions.MaxRateLimitShare))
        {
            failures.Add(FormattableString.Invariant(
                $"Klaviyo:RateLimitShare must be between {KlaviyoOptions.MinRateLimitShare} and {KlaviyoOptions.MaxRateLimitShare}: the most of each endpoint's rate limit Refly uses (got {options.RateLimitShare})."));
        }

        if (options.RateLimitMaxDelay <= TimeSpan.Zero)
        {
            failures.Add("Klaviyo:RateLimitMaxDelay must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
