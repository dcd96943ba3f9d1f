using System.Text.Json;

namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>Writes Klaviyo error documents.</summary>
public static class KlaviyoErrorWriter
{
    public const string JsonApiMediaType = "application/vnd.api+json";

    public static async Task WriteAsync(HttpContext context, KlaviyoApiException error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = JsonApiMediaType;
        if (error.RetryAfterSeconds is { } retryAfter)
        {
            response.Headers.RetryAfter = retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("errors");
            writer.WriteStartObject();
            writer.WriteString("id", Guid.NewGuid().ToString());
            writer.WriteNumber("status", error.Status);
            writer.WriteString("code", error.Code);
            writer.WriteString("title", error.Title);
            writer.WriteString("detail", error.Detail);
            writer.WriteStartObject("source");
            if (error.Pointer is not null)
            {
                writer.WriteString("pointer", error.Pointer);
            }
            if (error.Parameter is not null)
            {
                writer.WriteString("parameter", error.Parameter);
            }
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        await response.Body.WriteAsync(buffer.ToArray(), context.RequestAborted);
    }
}
