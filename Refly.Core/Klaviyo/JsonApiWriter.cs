using System.Text.Json;
using System.Text.Json.Nodes;

namespace Refly.Core.Klaviyo;

/// <summary>One resource object of a JSON:API request body: type, optional id, attributes, to-one relationships and meta.</summary>
internal sealed record JsonApiResource(string Type, string? Id = null)
{
    public JsonObject? Attributes { get; init; }

    /// <summary>To-one relationships by name, each written as <c>{"data":{"type","id"}}</c>.</summary>
    public IReadOnlyDictionary<string, JsonApiResource>? Relationships { get; init; }

    public JsonObject? Meta { get; init; }

    /// <summary>The resource object, members in JSON:API order; an empty or missing part is left out.</summary>
    public JsonObject ToJson()
    {
        var resource = new JsonObject { ["type"] = Type };
        if (Id is not null)
        {
            resource["id"] = Id;
        }

        if (Attributes is not null)
        {
            resource["attributes"] = Attributes;
        }

        if (Relationships is { Count: > 0 })
        {
            var relationships = new JsonObject();
            foreach (var (name, target) in Relationships)
            {
                relationships[name] = new JsonObject { ["data"] = target.ToJson() };
            }

            resource["relationships"] = relationships;
        }

        if (Meta is not null)
        {
            resource["meta"] = Meta;
        }

        return resource;
    }
}

/// <summary>The one writer of Klaviyo request bodies: a JSON:API document whose primary data is one resource.</summary>
internal static class JsonApiWriter
{
    /// <summary><c>{"data": resource}</c> as UTF-8 bytes.</summary>
    public static byte[] Document(JsonApiResource data)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            new JsonObject { ["data"] = data.ToJson() }.WriteTo(writer);
        }

        return stream.ToArray();
    }
}
