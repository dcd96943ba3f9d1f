using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using Refly.Core.Settings;

namespace Refly.Core.Klaviyo;

/// <summary>Registers the Klaviyo client feature.</summary>
public static partial class KlaviyoServiceCollectionExtensions
{
    /// <summary>Name of the typed HttpClient (and of its resilience pipelines).</summary>
    public const string HttpClientName = "Klaviyo";

    /// <summary>
    /// Registers <see cref="IKlaviyoClient"/> as a typed HttpClient with, outermost first: the rate-limit pipeline (429s
    /// are waited out for as long as Klaviyo keeps sending them, honouring Retry-After), the failure pipeline (total
    /// timeout and a bounded, exponential jittered retry of 408/5xx/network errors/attempt timeouts, no circuit breaker),
    /// the pacing handler (shared per-endpoint rate limiters), a per-attempt timeout, and the response buffering handler.
    /// Binds <see cref="KlaviyoOptions"/> from section <c>Klaviyo</c>, validated at start; the share of the rate limits and
    /// the API key can be saved in the UI (<see cref="RateLimitSettings"/>, <see cref="KlaviyoApiKeySettings"/>).
    /// </summary>
    /// <remarks>
    /// A 429 is Klaviyo saying "not now", never "no": a run that gave up on it would fail a campaign for being large, so
    /// rate limiting is retried without an attempt limit and outside the total timeout (each call after a 429 wait gets
    /// a fresh <see cref="KlaviyoOptions.TotalTimeout"/>). Failures (5xx, timeouts, network) stay bounded by
    /// <see cref="KlaviyoOptions.MaxRetryAttempts"/> and <see cref="KlaviyoOptions.TotalTimeout"/>. Cancellation stops
    /// every wait at once.
    /// The per-attempt timeout sits inside the pacing handler, not in the outer pipeline, so that waiting for the
    /// client-side rate limiter never counts as a slow attempt (which would be retried and lose its place in the queue).
    /// The body is read inside the attempt (<see cref="KlaviyoResponseBufferingHandler"/>), so a body that stalls or is
    /// cut off is a timed-out or failed attempt, retried like any other, instead of a hang or an unreadable answer.
    /// Options bind to <c>configuration.GetSection("Klaviyo")</c> (with change tracking, like BindConfiguration) so that
    /// the configuration passed in is the one used, also in a bare ServiceCollection without a registered IConfiguration.
    /// </remarks>
    public static IServiceCollection AddKlaviyo(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<KlaviyoOptions>()
            .Bind(configuration.GetSection(KlaviyoOptions.SectionName))
            .ValidateOnStart();

        // Idempotent: a second call binds its configuration too, but must not stack a second retry pipeline and
        // pacing handler on the same client.
        if (services.Any(d => d.ServiceType == typeof(KlaviyoRegistrationMarker)))
        {
            return services;
        }

        services.AddSingleton<KlaviyoRegistrationMarker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KlaviyoOptions>, KlaviyoOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKlaviyoConnection, OptionsKlaviyoConnection>();
        services.TryAddSingleton<KlaviyoRateLimiters>();
        services.TryAddSingleton<KlaviyoClientStats>();
        services.TryAddTransient<KlaviyoPacingHandler>();
        services.TryAddTransient<KlaviyoResponseBufferingHandler>();
        services.AddSettingsSection<RateLimitSettings>().AddStoredSettingsOverride<KlaviyoOptions>(RateLimitSettings.Apply);
        services.AddSettingsSection<KlaviyoApiKeySettings>();

        var http = services.AddHttpClient<IKlaviyoClient, KlaviyoClient>(HttpClientName, client =>
            {
                // The resilience pipeline owns every timeout; HttpClient's own 100 s would cut retries short.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RedactLoggedHeaders(["Authorization"]);
        http.AddResilienceHandler("klaviyo-rate-limit", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<KlaviyoOptions>>().Value;
                var stats = context.ServiceProvider.GetRequiredService<KlaviyoClientStats>();
                var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(RateLimitLoggerName);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    // No limit: Klaviyo lifts a rate limit eventually, and the caller's token ends the wait when it must.
                    MaxRetryAttempts = int.MaxValue,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryBaseDelay,
                    MaxDelay = options.RateLimitMaxDelay,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(IsRateLimited(args.Outcome)),
                    OnRetry = args =>
                    {
                        var key = EndpointKeyOf(args.Context, args.Outcome);
                        stats.RecordRetry(key);
                        stats.RecordRateLimitWait(key, args.RetryDelay);
                        LogRateLimitWait(logger, key, args.RetryDelay, args.AttemptNumber + 1);
                        return ValueTask.CompletedTask;
                    },
                });
            });
        http.AddResilienceHandler("klaviyo-retry", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<KlaviyoOptions>>().Value;
                var stats = context.ServiceProvider.GetRequiredService<KlaviyoClientStats>();
                pipeline.AddTimeout(options.TotalTimeout);
                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetryAttempts,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryBaseDelay,
                    MaxDelay = TimeSpan.FromMinutes(1),
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = args => ValueTask.FromResult(IsTransientFailure(args.Outcome) &&
                        !(KlaviyoUnreachableException.IsConnectFailure(args.Outcome.Exception) && args.AttemptNumber >= ConnectFailureRetryAttempts)),
                    OnRetry = args =>
                    {
                        stats.RecordRetry(EndpointKeyOf(args.Context, args.Outcome));
                        return ValueTask.CompletedTask;
                    },
                });
            });
        http.AddHttpMessageHandler<KlaviyoPacingHandler>();
        http.AddResilienceHandler("klaviyo-attempt", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<KlaviyoOptions>>().Value;
                pipeline.AddTimeout(options.AttemptTimeout);
            });
        http.AddHttpMessageHandler<KlaviyoResponseBufferingHandler>();

        return services;
    }

    /// <summary>
    /// Retries of a request to which no connection could be made at all (refused, unreachable, name not resolved): a
    /// brief blip is covered (about 2 + 4 s of back-off), a wrong base URL or a blocked network fails within seconds
    /// instead of after every <see cref="KlaviyoOptions.MaxRetryAttempts"/> (minutes). Timeouts and 5xx keep those.
    /// </summary>
    public const int ConnectFailureRetryAttempts = 2;

    /// <summary>Category of the "waiting on Klaviyo's rate limit" log entries.</summary>
    public const string RateLimitLoggerName = "Refly.Core.Klaviyo.RateLimit";

    /// <summary>429: waited out by the outer pipeline, for as long as it lasts.</summary>
    internal static bool IsRateLimited(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result?.StatusCode == HttpStatusCode.TooManyRequests;

    /// <summary>408, 5xx, network failures and attempt timeouts are retried a bounded number of times; no 4xx but 408 ever is (429 is the outer pipeline's).</summary>
    internal static bool IsTransientFailure(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Exception: TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.RequestTimeout || (int)response.StatusCode >= 500,
        _ => false,
    };

    private static string EndpointKeyOf(ResilienceContext context, Outcome<HttpResponseMessage> outcome)
    {
        // The context carries the request for exception outcomes too (network errors, attempt timeouts).
        var request = context.GetRequestMessage() ?? outcome.Result?.RequestMessage;
        return request is not null && request.Options.TryGetValue(KlaviyoEndpoint.OptionKey, out var endpoint)
            ? endpoint.Key
            : "(unknown)";
    }

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Waiting on Klaviyo's rate limit: {Endpoint} answered 429; retrying in {Delay} (wait {Attempt})")]
    private static partial void LogRateLimitWait(ILogger logger, string endpoint, TimeSpan delay, int attempt);
}

internal sealed class KlaviyoRegistrationMarker;
