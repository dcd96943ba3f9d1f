using System.Text.Json;
using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.JsonApi;

namespace Refly.KlaviyoSandbox.Spec;

/// <summary>
/// Validates a request body against the operation's OpenAPI schema: types, required members, enums, nullability,
/// date-times, oneOf/allOf. Objects that declare their properties are closed: Klaviyo rejects unknown attributes,
/// so an unknown member is a 400 with a JSON pointer to it. Objects that declare no properties (custom profile
/// properties) stay open.
/// </summary>
public static class SchemaValidator
{
    public static void Validate(JsonElement body, JsonObject schema, SchemaResolver resolver)
    {
        var error = Check(body, schema, resolver, "");
        if (error is not null)
        {
            throw KlaviyoApiException.InvalidBody(error.Value.Pointer.Length == 0 ? "/" : error.Value.Pointer, error.Value.Detail);
        }
    }

    private static (string Pointer, string Detail)? Check(JsonElement value, JsonObject rawSchema, SchemaResolver resolver, string pointer)
    {
        var nullable = rawSchema["nullable"]?.GetValue<bool>() ?? false;
        var schema = resolver.Resolve(rawSchema);
        nullable |= schema["nullable"]?.GetValue<bool>() ?? false;
        if (value.ValueKind == JsonValueKind.Null)
        {
            return nullable ? null : (pointer, $"'{Name(pointer)}' may not be null.");
        }

        if (schema["oneOf"] is JsonArray oneOf)
        {
            (string, string)? first = null;
            foreach (var option in oneOf)
            {
                var error = Check(value, option!.AsObject(), resolver, pointer);
                if (error is null)
                {
                    return null;
                }
                first ??= error;
            }
            return first ?? (pointer, $"'{Name(pointer)}' matches none of the allowed shapes.");
        }

        if (schema["allOf"] is JsonArray allOf)
        {
            var parts = allOf.Select(p => resolver.Resolve(p!.AsObject())).ToList();
            if (parts.All(p => p["properties"] is not null || p["type"]?.GetValue<string>() == "object"))
            {
                // Object parts are merged so the closed-object check sees every member any part declares.
                return CheckObject(value, Merge(allOf, resolver), resolver, pointer);
            }
            foreach (var part in allOf)
            {
                if (Check(value, part!.AsObject(), resolver, pointer) is { } error)
                {
                    return error;
                }
            }
            return null;
        }

        var type = schema["type"]?.GetValue<string>();
        switch (type)
        {
            case "object":
                return CheckObject(value, schema, resolver, pointer);
            case "array":
                if (value.ValueKind != JsonValueKind.Array)
                {
                    return (pointer, $"'{Name(pointer)}' must be an array.");
                }
                if (schema["items"] is JsonObject items)
                {
                    var i = 0;
                    foreach (var element in value.EnumerateArray())
                    {
                        if (Check(element, items, resolver, $"{pointer}/{i++}") is { } error)
                        {
                            return error;
                        }
                    }
                }
                return null;
            case "string":
                if (value.ValueKind != JsonValueKind.String)
                {
                    return (pointer, $"'{Name(pointer)}' must be a string.");
                }
                var text = value.GetString()!;
                if (schema["enum"] is JsonArray values && values.All(v => v!.GetValue<string>() != text))
                {
                    return (pointer, $"'{text}' is not a valid choice for '{Name(pointer)}'. Valid choices: {string.Join(", ", values.Select(v => v!.GetValue<string>()))}.");
                }
                if (schema["format"]?.GetValue<string>() == "date-time" && !DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
                {
                    return (pointer, $"'{text}' is not a valid datetime for '{Name(pointer)}'.");
                }
                return null;
            case "integer":
                return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : (pointer, $"'{Name(pointer)}' must be an integer.");
            case "number":
                return value.ValueKind == JsonValueKind.Number ? null : (pointer, $"'{Name(pointer)}' must be a number.");
            case "boolean":
                return value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : (pointer, $"'{Name(pointer)}' must be a boolean.");
            default:
                return schema["properties"] is not null ? CheckObject(value, schema, resolver, pointer) : null;
        }
    }

    private static (string Pointer, string Detail)? CheckObject(JsonElement value, JsonObject schema, SchemaResolver resolver, string pointer)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            return (pointer, $"'{Name(pointer)}' must be an object.");
        }
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"];
        var open = properties is null || properties.Count == 0 || additional is JsonObject || IsTrue(additional);
        foreach (var required in schema["required"]?.AsArray() ?? [])
        {
            var name = required!.GetValue<string>();
            if (!value.TryGetProperty(name, out _))
            {
                return ($"{pointer}/{name}", $"'{name}' is a required field.");
            }
        }
        foreach (var member in value.EnumerateObject())
        {
            var childPointer = $"{pointer}/{member.Name}";
            if (properties?[member.Name] is JsonObject child)
            {
                if (Check(member.Value, child, resolver, childPointer) is { } error)
                {
                    return error;
                }
            }
            else if (!open)
            {
                return (childPointer, $"'{member.Name}' is not a valid field for this resource.");
            }
        }
        return null;
    }

    private static bool IsTrue(JsonNode? node) => node is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static JsonObject Merge(JsonArray parts, SchemaResolver resolver)
    {
        var properties = new JsonObject();
        var required = new JsonArray();
        foreach (var part in parts)
        {
            var schema = resolver.Resolve(part!.AsObject());
            foreach (var (name, child) in schema["properties"]?.AsObject() ?? [])
            {
                // Parts may both describe a member (e.g. attributes); the member must satisfy the union of both.
                properties[name] = properties[name] is { } existing
                    ? new JsonObject { ["allOf"] = new JsonArray(existing.DeepClone(), child!.DeepClone()) }
                    : child!.DeepClone();
            }
            foreach (var r in schema["required"]?.AsArray() ?? [])
            {
                required.Add(r!.GetValue<string>());
            }
        }
        return new JsonObject { ["type"] = "object", ["properties"] = properties, ["required"] = required };
    }

    private static string Name(string pointer) => pointer.Length == 0 ? "data" : pointer[(pointer.LastIndexOf('/') + 1)..];
}
