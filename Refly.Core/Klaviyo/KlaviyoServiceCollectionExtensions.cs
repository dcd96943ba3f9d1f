using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;

namespace Refly.Core.Klaviyo;

/// <summary>Registers the Klaviyo client feature.</summary>
public static class KlaviyoServiceCollectionExtensions
{
    /// <summary>Name of the typed HttpClient (and of its resilience pipelines).</summary>
    public const string HttpClientName = "Klaviyo";

    /// <summary>
    /// Registers <see cref="IKlaviyoClient"/> as a typed HttpClient with, outermost first: a resilience pipeline
    /// (total timeout, exponential jittered retry of 429/408/5xx/network errors/attempt timeouts honouring
    /// Retry-After, no circuit breaker), the pacing handler (shared per-endpoint rate limiters), and a per-attempt
    /// timeout. Binds <see cref="KlaviyoOptions"/> from section <c>Klaviyo</c>, validated at start.
    /// </summary>
    /// <remarks>
    /// The per-attempt timeout sits inside the pacing handler, not in the outer pipeline, so that waiting for the
    /// client-side rate limiter never counts as a slow attempt (which would be retried and lose its place in the queue).
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

        var http = services.AddHttpClient<IKlaviyoClient, KlaviyoClient>(HttpClientName, client =>
            {
                // The resilience pipeline owns every timeout; HttpClient's own 100 s would cut retries short.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            .RedactLoggedHeaders(["Authorization"]);
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
                    ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                    OnRetry = args =>
                    {
                        // The context carries the request for exception outcomes too (network errors, attempt timeouts).
                        var request = args.Context.GetRequestMessage() ?? args.Outcome.Result?.RequestMessage;
                        var key = request is not null && request.Options.TryGetValue(KlaviyoEndpoint.OptionKey, out var endpoint)
                            ? endpoint.Key
                            : "(unknown)";
                        stats.RecordRetry(key);
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

        return services;
    }

    /// <summary>429, 408, 5xx, network failures and attempt timeouts are retried; no other 4xx ever is.</summary>
    internal static bool IsTransient(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Exception: TimeoutRejectedException } => true,
        { Result: { } response } => response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
            || (int)response.StatusCode >= 500,
        _ => false,
    };
}

internal sealed class KlaviyoRegistrationMarker;
