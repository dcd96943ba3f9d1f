using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>JSON:API building blocks shared by the endpoint groups: links, pages, sparse fieldsets, writing.</summary>
public static class JsonApiResponse
{
    public static string BaseUrl(HttpContext http) => $"{http.Request.Scheme}://{http.Request.Host}";

    public static string Self(HttpContext http) => BaseUrl(http) + http.Request.Path + http.Request.QueryString;

    public static string ResourceUrl(HttpContext http, string type, string id) => $"{BaseUrl(http)}/api/{type}s/{Uri.EscapeDataString(id)}/";

    /// <summary>The request's own URL with page[cursor] replaced, as Klaviyo builds links.next/prev.</summary>
    public static string WithCursor(HttpContext http, string cursor)
    {
        var query = QueryHelpers.ParseQuery(http.Request.QueryString.Value)
            .Where(kv => kv.Key != "page[cursor]")
            .Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value.ToString()))
            .Append(new KeyValuePair<string, string?>("page[cursor]", cursor));
        return QueryHelpers.AddQueryString(BaseUrl(http) + http.Request.Path, query);
    }

    /// <summary>links for a collection page; next/prev only where there is such a page.</summary>
    public static JsonObject PageLinks(HttpContext http, long position, int count, int pageSize, long total)
    {
        var links = new JsonObject { ["self"] = Self(http) };
        if (position + count < total)
        {
            links["next"] = WithCursor(http, PageCursor.Encode(position + count));
        }
        if (position > 0)
        {
            links["prev"] = WithCursor(http, PageCursor.Encode(Math.Max(0, position - pageSize)));
        }
        return links;
    }

    public static JsonObject RelationshipLinks(HttpContext http, string type, string id, string relationship) => new()
    {
        ["self"] = $"{BaseUrl(http)}/api/{type}s/{id}/relationships/{relationship}/",
        ["related"] = $"{BaseUrl(http)}/api/{type}s/{id}/{relationship}/",
    };

    public static JsonObject Identifier(string type, string id) => new() { ["type"] = type, ["id"] = id };

    /// <summary>Keeps only the requested attributes; "location.city" keeps the city inside location.</summary>
    public static JsonObject ApplyFields(JsonObject attributes, IReadOnlySet<string>? fields)
    {
        if (fields is null)
        {
            return attributes;
        }
        var result = new JsonObject();
        foreach (var (name, value) in attributes.ToList())
        {
            if (fields.Contains(name))
            {
                attributes.Remove(name);
                result[name] = value;
                continue;
            }
            var nested = fields.Where(f => f.StartsWith(name + ".", StringComparison.Ordinal)).Select(f => f[(name.Length + 1)..]).ToHashSet(StringComparer.Ordinal);
            if (nested.Count > 0 && value is JsonObject child)
            {
                attributes.Remove(name);
                result[name] = ApplyFields(child, nested);
            }
        }
        return result;
    }

    public static JsonValue? Date(DateTimeOffset? value) => value is { } v ? JsonValue.Create(v.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.ffffff+00:00", System.Globalization.CultureInfo.InvariantCulture)) : null;

    public static async Task WriteAsync(HttpContext http, int status, JsonObject document)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = KlaviyoErrorWriter.JsonApiMediaType;
        await using var writer = new Utf8JsonWriter(http.Response.BodyWriter);
        document.WriteTo(writer);
        await writer.FlushAsync(http.RequestAborted);
    }

    public static Task NoContent(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }
}
