using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;

namespace Refly.Dashboard.Automation;

/// <summary>
/// Under /api and /openapi every answer is JSON: an error status without a body (routing's 404, 405 and 415, a
/// forbid) gets RFC 7807 problem details, the HTML status pages are off, and a request the framework cannot bind
/// (a bad JSON body, a query value of the wrong kind) is answered 400 with what is wrong in words, never .NET type
/// names, and logged at Information without a stack: it is the caller's mistake, not the app's.
/// </summary>
internal sealed partial class ApiProblemMiddleware(RequestDelegate next, ILogger<ApiProblemMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!AutomationApi.IsApiRequest(context.Request))
        {
            await next(context);
            return;
        }
        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusCodePages)
        {
            statusCodePages.Enabled = false;
        }
        try
        {
            await next(context);
        }
        catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
        {
            var refusal = Describe(ex, context.GetEndpoint());
            logger.LogInformation("Automation API refused {Method} {Path} with {Status}: {Reason}", context.Request.Method, context.Request.Path, refusal.Status, refusal.Detail);
            context.Response.Clear();
            await Results.Problem(statusCode: refusal.Status, title: refusal.Title, detail: refusal.Detail).ExecuteAsync(context);
            return;
        }
        catch (Exception ex) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            logger.LogError(ex, "Automation API failed on {Method} {Path}", context.Request.Method, context.Request.Path);
            context.Response.Clear();
            await Results.Problem(statusCode: StatusCodes.Status500InternalServerError, title: "Internal error",
                detail: "Refly could not complete this request; its log has the details.").ExecuteAsync(context);
            return;
        }
        var response = context.Response;
        if (response.HasStarted || response.StatusCode < 400 || response.ContentLength > 0 || response.ContentType is not null)
        {
            return;
        }
        var (title, detail) = response.StatusCode switch
        {
            StatusCodes.Status404NotFound => ("Not found", $"The automation API has no endpoint at {context.Request.Path}."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed",
                $"{context.Request.Method} is not allowed at {context.Request.Path}" +
                (response.Headers.Allow.Count > 0 ? $"; allowed: {response.Headers.Allow}." : ".")),
            StatusCodes.Status415UnsupportedMediaType => ("Unsupported media type",
                $"Send the request body as JSON with 'Content-Type: application/json' (got '{context.Request.ContentType}')."),
            StatusCodes.Status403Forbidden => ("Forbidden", "This automation token may not do this."),
            _ => (ReasonPhrases.GetReasonPhrase(response.StatusCode), null),
        };
        await Results.Problem(statusCode: response.StatusCode, title: title, detail: detail).ExecuteAsync(context);
    }

    /// <summary>The status and words for a request the framework could not bind.</summary>
    internal static (int Status, string Title, string Detail) Describe(BadHttpRequestException ex, Endpoint? endpoint)
    {
        var expected = endpoint?.Metadata.GetMetadata<ExpectedBody>() is { } body ? $" Expected a body like {body.Example}." : "";
        switch (ex.StatusCode)
        {
            case StatusCodes.Status413PayloadTooLarge:
                return (ex.StatusCode, "Request too large", $"The automation API accepts request bodies up to {RequestLimits.MaxApiBodyBytes / 1024} KB.");
            case StatusCodes.Status415UnsupportedMediaType:
                return (ex.StatusCode, "Unsupported media type", "Send the request body as JSON with 'Content-Type: application/json'." + expected);
        }
        if (ex.InnerException is JsonException json)
        {
            var where = json.Path is { Length: > 0 } path && path != "$" ? $" at '{path}'" : "";
            var position = json.LineNumber is { } line ? $" (line {line + 1}, position {(json.BytePositionInLine ?? 0) + 1})" : "";
            return (StatusCodes.Status400BadRequest, "Invalid request body",
                $"The request body could not be read{where}{position}: it is not valid JSON, or a value has the wrong type." + expected);
        }
        if (BindFailure().Match(ex.Message) is { Success: true } bind)
        {
            var name = bind.Groups["name"].Value;
            return (StatusCodes.Status400BadRequest, "Invalid parameter",
                $"The parameter '{name}' must be {Kind(ParameterType(endpoint, name))}; '{bind.Groups["value"].Value}' is not.");
        }
        if (RequiredMissing().Match(ex.Message) is { Success: true } missing)
        {
            return (StatusCodes.Status400BadRequest, "Missing parameter", $"The parameter '{missing.Groups["name"].Value}' is required.");
        }
        if (ex.Message.Contains("request body", StringComparison.OrdinalIgnoreCase))
        {
            return (StatusCodes.Status400BadRequest, "Invalid request body", "The request body is missing or could not be read." + expected);
        }
        return (ex.StatusCode, "Bad request", "The request could not be read.");
    }

    private static Type? ParameterType(Endpoint? endpoint, string name) =>
        endpoint?.Metadata.GetMetadata<MethodInfo>()?.GetParameters()
            .FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))?.ParameterType;

    private static string Kind(Type? type)
    {
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            null => "a valid value",
            { IsEnum: true } => "one of " + string.Join(", ", Enum.GetNames(type)),
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(Guid) => "an id like 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => "a date and time like 2026-01-31T09:00:00Z",
            _ => "a valid value",
        };
    }

    // RequestDelegateFactory's words: Failed to bind parameter "int? take" from "abc".
    [GeneratedRegex("""^Failed to bind parameter "[^"]*?(?<name>\w+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex BindFailure();

    // Required parameter "string search" was not provided from query string.
    [GeneratedRegex("""^Required parameter "[^"]*?(?<name>\w+)" was not provided""")]
    private static partial Regex RequiredMissing();
}
