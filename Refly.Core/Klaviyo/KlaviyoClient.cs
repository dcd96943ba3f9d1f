using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The typed HttpClient behind <see cref="IKlaviyoClient"/>. It builds each request from the current
/// <see cref="IKlaviyoConnection"/> (base URL and key read per request) and tags it with its
/// <see cref="KlaviyoEndpoint"/>; retries and pacing happen in the handlers registered by
/// <see cref="KlaviyoServiceCollectionExtensions.AddKlaviyo"/>. This file holds the transport; the endpoints live in one
/// partial file per resource (KlaviyoClient.Campaigns.cs, .Profiles.cs, .Templates.cs, .Tags.cs, .Accounts.cs), request
/// bodies come from <see cref="JsonApiWriter"/> and answers are read by <see cref="KlaviyoResponseParser"/>.
/// </summary>
/// <remarks>
/// Cursors returned by <see cref="GetGroupProfilesPageAsync"/> are the bare <c>page[cursor]</c> value of Klaviyo's
/// <c>links.next</c>, not the whole URL: the base URL can change between runs (the sandbox listens on a new port
/// after a restart, an operator switches to a real account), and the client rebuilds the rest of the query itself.
/// </remarks>
public sealed partial class KlaviyoClient : IKlaviyoClient
{
    internal const string JsonApiMediaType = "application/vnd.api+json";

    internal const int MaxPageSize = 100;

    private readonly HttpClient _http;
    private readonly IKlaviyoConnection _connection;
    private readonly IOptionsMonitor<KlaviyoOptions> _options;
    private readonly ILogger<KlaviyoClient> _logger;
    private readonly TimeProvider _time;

    /// <summary>Created by the HttpClient factory; resolve <see cref="IKlaviyoClient"/> rather than constructing it.</summary>
    public KlaviyoClient(HttpClient http, IKlaviyoConnection connection, IOptionsMonitor<KlaviyoOptions> options, ILogger<KlaviyoClient> logger, TimeProvider time)
    {
        _http = http;
        _connection = connection;
        _options = options;
        _logger = logger;
        _time = time;
    }

    /// <summary>
    /// Every page of a cursor-paginated collection, one GET each; <paramref name="pathAndQuery"/> builds the request
    /// for a cursor (null for the first page).
    /// </summary>
    private async IAsyncEnumerable<T> GetAllPagesAsync<T>(
        KlaviyoEndpoint endpoint, Func<string?, string> pathAndQuery, Func<JsonElement, KlaviyoPage<T>> parse,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            KlaviyoPage<T> page;
            using (var doc = await GetRequiredAsync(endpoint, pathAndQuery(cursor), cancellationToken).ConfigureAwait(false))
            {
                page = parse(doc.RootElement);
            }

            foreach (var item in page.Items)
            {
                yield return item;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
    }

    private static string Query(params (string Key, string? Value)[] parameters)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&')
                .Append(Uri.EscapeDataString(key))
                .Append('=')
                .Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    private static string Escape(string id) => Uri.EscapeDataString(id);

    // ---- Transport ----

    private async Task<JsonDocument> GetRequiredAsync(KlaviyoEndpoint endpoint, string pathAndQuery, CancellationToken cancellationToken) =>
        await SendAsync(endpoint, HttpMethod.Get, pathAndQuery, body: null, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
        ?? throw new KlaviyoResponseException($"the answer to {endpoint.Key} has no body.");

    /// <summary>
    /// Sends one request through the handler chain. Returns the parsed body, or null for an empty body or (when
    /// <paramref name="nullOnNotFound"/>) a 404; throws the matching <see cref="KlaviyoException"/> otherwise.
    /// </summary>
    private Task<JsonDocument?> SendAsync(
        KlaviyoEndpoint endpoint, HttpMethod method, string pathAndQuery, byte[]? body, bool nullOnNotFound, CancellationToken cancellationToken) =>
        SendAsync(_connection, endpoint, method, pathAndQuery, body, nullOnNotFound, cancellationToken);

    private async Task<JsonDocument?> SendAsync(
        IKlaviyoConnection connection, KlaviyoEndpoint endpoint, HttpMethod method, string pathAndQuery, byte[]? body, bool nullOnNotFound, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, BuildUri(connection, pathAndQuery));

        // Read per request: the key and base URL can change at run time (Settings page, demo mode).
        request.Headers.TryAddWithoutValidation("Authorization", "Klaviyo-API-Key " + connection.ApiKey);
        request.Headers.TryAddWithoutValidation("revision", _options.CurrentValue.Revision);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonApiMediaType));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonApiMediaType);
        }

        request.Options.Set(KlaviyoEndpoint.OptionKey, endpoint);

        var started = _time.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException ex)
        {
            throw new KlaviyoServerException(
                $"Klaviyo did not answer {endpoint.Key} in time; Refly retried for {KlaviyoDuration.Format(_time.GetElapsedTime(started))} and gave up.", null, [], ex);
        }
        catch (HttpRequestException ex) when (KlaviyoUnreachableException.IsConnectFailure(ex))
        {
            throw new KlaviyoUnreachableException(request.RequestUri!.Authority, KlaviyoUnreachableException.Describe(ex), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new KlaviyoServerException(
                $"Klaviyo's connection failed on {endpoint.Key} ({ex.Message}); Refly retried for {KlaviyoDuration.Format(_time.GetElapsedTime(started))} and gave up.",
                ex.StatusCode, [], ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return await ReadDocumentAsync(endpoint, response, cancellationToken).ConfigureAwait(false);
            }

            if (response.StatusCode == HttpStatusCode.NotFound && nullOnNotFound)
            {
                return null;
            }

            throw await ToExceptionAsync(endpoint, response, _time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
    }

    private static Uri BuildUri(IKlaviyoConnection connection, string pathAndQuery)
    {
        // Keep any path prefix of the base URL (e.g. a reverse proxy's /klaviyo): new Uri(base, "/api/...") would drop it.
        var baseUrl = connection.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri(baseUrl + pathAndQuery, UriKind.Absolute);
    }

    private static async Task<JsonDocument?> ReadDocumentAsync(KlaviyoEndpoint endpoint, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0 || response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            var start = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 60)).ReplaceLineEndings(" ");
            throw new KlaviyoResponseException(
                $"the answer to {endpoint.Key} ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}) is not valid JSON ({ex.Message}); it starts with \"{start}\"", ex);
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new KlaviyoResponseException($"the answer to {endpoint.Key} is JSON but not a JSON:API document (no top-level object).");
        }

        return doc;
    }

    private async Task<KlaviyoException> ToExceptionAsync(KlaviyoEndpoint endpoint, HttpResponseMessage response, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var errors = await ReadErrorsAsync(response, cancellationToken).ConfigureAwait(false);
        var status = response.StatusCode;
        var code = (int)status;
        var detail = errors.Select(e => e.Detail ?? e.Title).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
        var suffix = detail is null ? "" : $": {detail}";
        LogErrorAnswer(_logger, endpoint.Key, code, detail ?? "");

        return code switch
        {
            401 or 403 => new KlaviyoAuthenticationException(status, errors),
            404 => new KlaviyoNotFoundException($"Klaviyo found nothing for {endpoint.Key} (404){suffix}", errors),
            429 => new KlaviyoRateLimitException(
                $"Klaviyo kept rate-limiting {endpoint.Key} (429) after every retry{suffix}", errors, response.Headers.RetryAfter?.Delta),
            >= 500 => new KlaviyoServerException(
                $"Klaviyo kept failing {endpoint.Key} ({code} {response.ReasonPhrase ?? status.ToString()}) for {KlaviyoDuration.Format(elapsed)}; Refly retried and gave up{suffix}",
                status, errors),
            _ => new KlaviyoValidationException($"Klaviyo refused {endpoint.Key} ({code}){suffix}", status, errors),
        };
    }

    private static async Task<IReadOnlyList<KlaviyoError>> ReadErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return [];
        }

        if (bytes.Length == 0)
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("errors", out var errors)
                || errors.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return errors.EnumerateArray()
                .Where(e => e.ValueKind == JsonValueKind.Object)
                .Select(e => new KlaviyoError(
                    TextOf(e, "id"), TextOf(e, "code"), TextOf(e, "title"), TextOf(e, "detail"),
                    e.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object ? TextOf(source, "pointer") : null))
                .ToList();
        }
        catch (JsonException)
        {
            // An error page that is not JSON (a proxy's HTML, say) still maps to its status; there is just no detail.
            return [];
        }

        static string? TextOf(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) ? JsonApi.AsText(value) : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Klaviyo answered {Endpoint} with {StatusCode}: {Detail}")]
    private static partial void LogErrorAnswer(ILogger logger, string endpoint, int statusCode, string detail);
}
