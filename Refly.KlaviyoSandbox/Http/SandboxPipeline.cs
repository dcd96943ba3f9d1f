using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;

namespace Refly.KlaviyoSandbox.Http;

/// <summary>
/// Everything Klaviyo checks before an operation runs, in Klaviyo's order: the path and method, the key, the
/// revision, the rate limit, then the query and body against the spec. Latency is a Task.Delay outside any lock
/// so concurrent requests overlap. Every answer to a request the rate limit let through (success or error) carries
/// <c>RateLimit-Limit</c>, <c>RateLimit-Remaining</c> and <c>RateLimit-Reset</c> for the steady window, as Klaviyo's
/// answers do; a 429 carries only Retry-After.
/// </summary>
public sealed partial class SandboxPipeline(SandboxStore store, SandboxRateLimits rateLimits)
{
    /// <summary>Klaviyo's limit for a bulk import payload.</summary>
    public const int MaxBodyBytes = 5 * 1024 * 1024;

    /// <summary>Header names of Klaviyo's rate-limit state (its documentation spells them this way).</summary>
    public const string LimitHeader = "RateLimit-Limit";

    /// <inheritdoc cref="LimitHeader"/>
    public const string RemainingHeader = "RateLimit-Remaining";

    /// <inheritdoc cref="LimitHeader"/>
    public const string ResetHeader = "RateLimit-Reset";

    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        try
        {
            var latency = store.Latency;
            if (latency > TimeSpan.Zero)
            {
                await Task.Delay(latency, http.RequestAborted);
            }
            var request = await PrepareAsync(http);
            request.Attach(http);
            await next(http);
        }
        catch (KlaviyoApiException error)
        {
            if (!http.Response.HasStarted)
            {
                await KlaviyoErrorWriter.WriteAsync(http, error);
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nothing to answer.
        }
    }

    private async Task<SandboxRequest> PrepareAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        var operation = SpecCatalog.Instance.Match(http.Request.Method, path, out var pathExists, out var routeValues);
        store.Counters.Request(operation?.OperationId ?? "(unmatched)");
        if (operation is null)
        {
            throw pathExists
                ? new KlaviyoApiException(405, "method_not_allowed", "Method not allowed.", $"Method \"{http.Request.Method}\" not allowed.")
                : KlaviyoApiException.NotFound($"The path {path} does not exist.");
        }

        Authenticate(http);
        CheckRevision(http);
        await store.WaitWhileHeldAsync(operation.OperationId, http.RequestAborted);

        var query = ReadQuery(http, operation);
        var decision = rateLimits.TryAcquire(operation, query);
        if (!decision.Allowed)
        {
            store.Counters.Throttle(operation.OperationId);
            var retryAfter = decision.RetryAfterSeconds;
            throw new KlaviyoApiException(429, "throttled", "Request was throttled.",
                $"Request was throttled. Expected available in {retryAfter} second{(retryAfter == 1 ? "" : "s")}.")
            { RetryAfterSeconds = retryAfter };
        }
        // Set now, before anything can fail: every non-429 answer from here on (400, 404, 503 included) carries them.
        var headers = http.Response.Headers;
        headers[LimitHeader] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        headers[RemainingHeader] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers[ResetHeader] = decision.ResetSeconds.ToString(CultureInfo.InvariantCulture);
        if (store.RollFault())
        {
            store.Counters.Fault();
            throw new KlaviyoApiException(503, "service_unavailable", "Service unavailable.", "The service is temporarily unavailable. Please try again later.");
        }

        CheckAccept(http);
        var filter = ValidateQuery(operation, query);
        var body = await ReadBodyAsync(http, operation);
        return new SandboxRequest(operation, routeValues, query, filter, body);
    }

    private void Authenticate(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        const string scheme = "Klaviyo-API-Key ";
        if (!header.StartsWith(scheme, StringComparison.Ordinal))
        {
            throw new KlaviyoApiException(401, "not_authenticated", "Authentication credentials were not provided.",
                "Missing or invalid authorization scheme. Please use Klaviyo-API-Key.");
        }
        if (!store.IsPrivateKey(header[scheme.Length..].Trim()))
        {
            throw new KlaviyoApiException(401, "authentication_failed", "Incorrect authentication credentials.", "Incorrect authentication credentials.");
        }
    }

    private static void CheckRevision(HttpContext http)
    {
        var revision = http.Request.Headers["revision"].ToString();
        if (revision.Length == 0)
        {
            throw new KlaviyoApiException(400, "invalid", "Invalid input.", "The 'revision' header is required (format: YYYY-MM-DD[.suffix]).", parameter: "revision");
        }
        var match = RevisionFormat().Match(revision);
        if (!match.Success || !DateOnly.TryParseExact(match.Groups[1].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            throw new KlaviyoApiException(400, "invalid", "Invalid input.", $"'{revision}' is not a valid revision (format: YYYY-MM-DD[.suffix]).", parameter: "revision");
        }
        if (match.Groups[1].Value != SpecCatalog.Revision)
        {
            // The sandbox serves one revision's shapes; answering another would hide a mismatch from the client.
            throw new KlaviyoApiException(400, "invalid", "Invalid input.", $"Revision '{revision}' is not served; this sandbox implements revision {SpecCatalog.Revision}.", parameter: "revision");
        }
    }

    private static void CheckAccept(HttpContext http)
    {
        var accept = http.Request.Headers.Accept.ToString();
        if (accept.Length > 0 && !accept.Contains("application/vnd.api+json", StringComparison.OrdinalIgnoreCase)
            && !accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) && !accept.Contains("*/*", StringComparison.Ordinal)
            && !accept.Contains("application/*", StringComparison.OrdinalIgnoreCase))
        {
            throw new KlaviyoApiException(406, "not_acceptable", "Could not satisfy the request Accept header.", $"Accept '{accept}' is not supported; use application/vnd.api+json.");
        }
    }

    private static Dictionary<string, string> ReadQuery(HttpContext http, SpecOperation operation)
    {
        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in http.Request.Query)
        {
            if (!operation.QueryParameters.ContainsKey(name))
            {
                throw KlaviyoApiException.InvalidParameter(name, $"'{name}' is not a valid query parameter for {operation.Method} {operation.Path}.");
            }
            if (values.Count != 1)
            {
                throw KlaviyoApiException.InvalidParameter(name, $"'{name}' may be given only once.");
            }
            query[name] = values[0] ?? "";
        }
        return query;
    }

    private static IReadOnlyList<FilterCondition> ValidateQuery(SpecOperation operation, Dictionary<string, string> query)
    {
        IReadOnlyList<FilterCondition> filter = [];
        foreach (var (name, value) in query)
        {
            var spec = operation.QueryParameters[name];
            if (name == "filter")
            {
                filter = KlaviyoFilter.Parse(value, spec.AllowedFilters ?? []);
                continue;
            }
            switch (spec.Type)
            {
                case "array":
                    foreach (var item in value.Split(','))
                    {
                        if (item.Length == 0 || (spec.Enum is not null && !spec.Enum.Contains(item)))
                        {
                            throw KlaviyoApiException.InvalidParameter(name, $"'{item}' is not a valid value for {name}. Valid values: {string.Join(", ", spec.Enum ?? [])}.");
                        }
                    }
                    break;
                case "integer":
                    if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
                    {
                        throw KlaviyoApiException.InvalidParameter(name, $"'{value}' is not a valid integer for {name}.");
                    }
                    if (number < spec.Minimum || number > spec.Maximum)
                    {
                        throw KlaviyoApiException.InvalidParameter(name, $"{name} must be between {spec.Minimum} and {spec.Maximum}; got {number}.");
                    }
                    break;
                default:
                    if (spec.Enum is not null && !spec.Enum.Contains(value))
                    {
                        throw KlaviyoApiException.InvalidParameter(name, $"'{value}' is not a valid value for {name}. Valid values: {string.Join(", ", spec.Enum)}.");
                    }
                    if (value.Length == 0)
                    {
                        throw KlaviyoApiException.InvalidParameter(name, $"{name} may not be empty.");
                    }
                    break;
            }
        }
        foreach (var required in operation.QueryParameters.Values.Where(p => p.Required && p.Name != "filter"))
        {
            if (!query.ContainsKey(required.Name))
            {
                throw KlaviyoApiException.InvalidParameter(required.Name, $"The query parameter '{required.Name}' is required.");
            }
        }
        return filter;
    }

    private static async Task<JsonElement?> ReadBodyAsync(HttpContext http, SpecOperation operation)
    {
        if (operation.BodySchema is null)
        {
            return null;
        }
        var contentType = http.Request.ContentType ?? "";
        if (!contentType.Split(';')[0].Trim().Equals(KlaviyoErrorWriter.JsonApiMediaType, StringComparison.OrdinalIgnoreCase))
        {
            throw new KlaviyoApiException(415, "unsupported_media_type", "Unsupported media type.",
                $"Unsupported media type \"{contentType}\" in request. Use {KlaviyoErrorWriter.JsonApiMediaType}.");
        }
        if (http.Request.ContentLength > MaxBodyBytes)
        {
            throw TooLarge();
        }
        using var buffer = new MemoryStream(http.Request.ContentLength is > 0 and var length ? (int)length : 0);
        var chunk = new byte[81920];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw TooLarge();
            }
        }
        if (buffer.Length == 0)
        {
            if (operation.BodyRequired)
            {
                throw KlaviyoApiException.InvalidBody("/", "A request body is required.");
            }
            return null;
        }
        JsonElement body;
        try
        {
            // One parse into a self-contained element (import bodies are megabytes: no copy, no clone).
            body = JsonSerializer.Deserialize<JsonElement>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        catch (JsonException e)
        {
            throw new KlaviyoApiException(400, "parse_error", "Malformed request.", $"JSON parse error - {e.Message}");
        }
        SchemaValidator.Validate(body, operation.BodySchema, operation.Resolver);
        return body;
    }

    private static KlaviyoApiException TooLarge() =>
        new(413, "request_too_large", "Request entity too large.", $"The maximum allowed payload size is 5MB ({MaxBodyBytes} bytes).");

    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2})(\.[A-Za-z0-9]+)?$")]
    private static partial Regex RevisionFormat();
}
