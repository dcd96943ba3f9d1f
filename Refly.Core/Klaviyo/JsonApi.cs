using System.Globalization;
using System.Text.Json;

namespace Refly.Core.Klaviyo;

/// <summary>
/// Defensive readers for JSON:API documents: unknown members are ignored, and a missing required member or a
/// member of the wrong kind becomes a <see cref="KlaviyoResponseException"/> naming what was wrong.
/// </summary>
internal static class JsonApi
{
    public static JsonElement RequireObject(JsonElement element, string what)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new KlaviyoResponseException($"{what} is {Describe(element)}, expected an object.");
        }

        return element;
    }

    public static JsonElement RequireObject(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            throw new KlaviyoResponseException($"{what} has no '{name}'.");
        }

        return RequireObject(value, $"{what}.{name}");
    }

    /// <summary>The member as an object, or null when it is missing or null.</summary>
    public static JsonElement? OptionalObject(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        // The context string is built only when the value is wrong: this runs for every profile of every page.
        return value.ValueKind == JsonValueKind.Object ? value : RequireObject(value, $"{what}.{name}");
    }

    public static JsonElement RequireArray(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            throw new KlaviyoResponseException($"{what} has no '{name}'.");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new KlaviyoResponseException($"{what}.{name} is {Describe(value)}, expected an array.");
        }

        return value;
    }

    /// <summary>The members of an optional array (missing or null: none).</summary>
    public static IEnumerable<JsonElement> OptionalArray(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new KlaviyoResponseException($"{what}.{name} is {Describe(value)}, expected an array.");
        }

        return value.EnumerateArray();
    }

    public static string RequireString(JsonElement parent, string name, string what) =>
        OptionalString(parent, name, what)
        ?? throw new KlaviyoResponseException($"{what} has no '{name}'.");

    public static string? OptionalString(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new KlaviyoResponseException($"{what}.{name} is {Describe(value)}, expected a string.");
    }

    public static bool? OptionalBool(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new KlaviyoResponseException($"{what}.{name} is {Describe(value)}, expected a boolean."),
        };
    }

    public static long? OptionalLong(JsonElement parent, string name, string what)
    {
        if (!parent.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number)
            ? number
            : throw new KlaviyoResponseException($"{what}.{name} is {Describe(value)}, expected an integer.");
    }

    public static DateTimeOffset? OptionalDate(JsonElement parent, string name, string what)
    {
        var text = OptionalString(parent, name, what);
        if (text is null)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date)
            ? date
            : throw new KlaviyoResponseException($"{what}.{name} '{text}' is not a date-time.");
    }

    public static DateTimeOffset RequireDate(JsonElement parent, string name, string what) =>
        OptionalDate(parent, name, what)
        ?? throw new KlaviyoResponseException($"{what} has no '{name}'.");

    /// <summary>A JSON value as text for custom properties: strings as they are, other values as raw JSON, null as null.</summary>
    public static string? AsText(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.String => value.GetString(),
        _ => value.GetRawText(),
    };

    /// <summary>The id of a to-one relationship (<c>relationships.name.data.id</c>), or null.</summary>
    public static string? ToOneId(JsonElement resource, string relationship, string what)
    {
        var relationships = OptionalObject(resource, "relationships", what);
        if (relationships is null)
        {
            return null;
        }

        var rel = OptionalObject(relationships.Value, relationship, $"{what}.relationships");
        if (rel is null)
        {
            return null;
        }

        var data = OptionalObject(rel.Value, "data", $"{what}.relationships.{relationship}");
        return data is null ? null : RequireString(data.Value, "id", $"{what}.relationships.{relationship}.data");
    }

    /// <summary>The ids of a to-many relationship (<c>relationships.name.data[].id</c>), or null when absent.</summary>
    public static IReadOnlyList<string>? ToManyIds(JsonElement resource, string relationship, string what)
    {
        var relationships = OptionalObject(resource, "relationships", what);
        if (relationships is null)
        {
            return null;
        }

        var rel = OptionalObject(relationships.Value, relationship, $"{what}.relationships");
        if (rel is null || !rel.Value.TryGetProperty("data", out _))
        {
            return null;
        }

        return OptionalArray(rel.Value, "data", $"{what}.relationships.{relationship}")
            .Select(item => RequireString(RequireObject(item, $"{what}.relationships.{relationship}.data[]"), "id", $"{what}.relationships.{relationship}.data[]"))
            .ToList();
    }

    /// <summary>The document's <c>included</c> resources by (type, id).</summary>
    public static Dictionary<(string Type, string Id), JsonElement> IndexIncluded(JsonElement root)
    {
        var index = new Dictionary<(string, string), JsonElement>();
        foreach (var item in OptionalArray(root, "included", "document"))
        {
            RequireObject(item, "included[]");
            var type = RequireString(item, "type", "included[]");
            var id = RequireString(item, "id", "included[]");
            index[(type, id)] = item;
        }

        return index;
    }

    /// <summary>
    /// The <c>page[cursor]</c> value of the document's <c>links.next</c>, or null on the last page.
    /// </summary>
    public static string? NextCursor(JsonElement root)
    {
        var next = NextLink(root);
        if (next is null)
        {
            return null;
        }

        return QueryValue(next, "page[cursor]")
            ?? throw new KlaviyoResponseException($"links.next '{next}' has no page[cursor].");
    }

    public static string? NextLink(JsonElement root)
    {
        var links = OptionalObject(root, "links", "document");
        if (links is null)
        {
            return null;
        }

        var next = OptionalString(links.Value, "next", "document.links");
        return string.IsNullOrEmpty(next) ? null : next;
    }

    /// <summary>One query parameter of a URL (decoded), or null.</summary>
    public static string? QueryValue(string url, string key)
    {
        var queryStart = url.IndexOf('?', StringComparison.Ordinal);
        if (queryStart < 0)
        {
            return null;
        }

        var query = url[(queryStart + 1)..];
        var fragment = query.IndexOf('#', StringComparison.Ordinal);
        if (fragment >= 0)
        {
            query = query[..fragment];
        }

        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            if (name == key)
            {
                return eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            }
        }

        return null;
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "missing",
    };
}
