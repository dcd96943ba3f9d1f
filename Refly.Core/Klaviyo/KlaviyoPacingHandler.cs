using System.Net;

namespace Refly.Core.Klaviyo;

/// <summary>
/// Waits on the shared per-endpoint rate limiter before each attempt, so that 429s stay rare, tells it how Klaviyo
/// answered (the RateLimit-* headers, a 429's Retry-After) so that the pace follows the account's other integrations,
/// and counts attempts and 429s. The endpoint comes from <see cref="KlaviyoEndpoint.OptionKey"/> on the request;
/// a request without one is sent unpaced.
/// </summary>
internal sealed class KlaviyoPacingHandler(KlaviyoRateLimiters limiters, KlaviyoClientStats stats) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(KlaviyoEndpoint.OptionKey, out var endpoint))
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        // The pacer's permits are spent, not borrowed: the lease has nothing to give back, so dispose it at once.
        var started = stats.TimeProvider.GetTimestamp();
        using (await limiters.AcquireAsync(endpoint, cancellationToken).ConfigureAwait(false))
        {
        }

        stats.RecordPacingWait(endpoint.Key, stats.TimeProvider.GetElapsedTime(started));

        stats.RecordSent(endpoint.Key);
        var ticket = limiters.RecordSent(endpoint);
        HttpResponseMessage response;
        try
        {
            response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            limiters.RecordNoAnswer(endpoint, ticket);
            throw;
        }

        limiters.RecordAnswer(endpoint, ticket, response);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            stats.RecordRateLimited(endpoint.Key);
        }

        return response;
    }
}
