using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Refly.Dashboard.Automation;

/// <summary>Request body limits: Kestrel's for everything, a much smaller one for the automation API.</summary>
internal static class RequestLimits
{
    /// <summary>Largest request body Kestrel accepts at all.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Largest automation API body: a start request is a short list of message ids.</summary>
    public const long MaxApiBodyBytes = 64 * 1024;
}

/// <summary>
/// Oversized automation API requests get 413 as problem details (not the HTML not-found page that status code
/// pages would re-execute), whether they declare their length or stream past the limit.
/// </summary>
internal sealed class ApiRequestLimitsMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }
        var statusCodePages = context.Features.Get<IStatusCodePagesFeature>();
        if (statusCodePages is not null)
        {
            statusCodePages.Enabled = false;
        }
        if (context.Request.ContentLength > RequestLimits.MaxApiBodyBytes)
        {
            await TooLargeAsync(context);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = RequestLimits.MaxApiBodyBytes;
        }
        await next(context);
        if (context.Response.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            await TooLargeAsync(context);
        }
    }

    private static Task TooLargeAsync(HttpContext context) =>
        Results.Problem(
                statusCode: StatusCodes.Status413PayloadTooLarge,
                title: "Request too large",
                detail: $"The automation API accepts request bodies up to {RequestLimits.MaxApiBodyBytes / 1024} KB.")
            .ExecuteAsync(context);
}
