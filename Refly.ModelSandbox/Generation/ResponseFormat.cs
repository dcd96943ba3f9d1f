using System.Text.Json;

namespace Refly.ModelSandbox.Generation;

internal enum ResponseFormatKind
{
    Text,
    JsonObject,
    JsonSchema,
}

/// <summary>The request's <c>response_format</c>: text, <c>json_object</c>, or <c>json_schema</c> with its schema (cloned, safe to keep).</summary>
internal readonly record struct ResponseFormat(ResponseFormatKind Kind, JsonElement Schema)
{
    public static ResponseFormat Read(JsonElement request)
    {
        if (!request.TryGetProperty("response_format", out var format) || format.ValueKind != JsonValueKind.Object
            || !format.TryGetProperty("type", out var type))
        {
            return new(ResponseFormatKind.Text, default);
        }
        switch (type.GetString())
        {
            case "json_schema":
                if (format.TryGetProperty("json_schema", out var wrapper) && wrapper.ValueKind == JsonValueKind.Object
                    && wrapper.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
                {
                    return new(ResponseFormatKind.JsonSchema, schema.Clone());
                }
                throw new FormatException("response_format json_schema needs json_schema.schema (an object).");
            case "json_object":
                return new(ResponseFormatKind.JsonObject, default);
            case "text":
                return new(ResponseFormatKind.Text, default);
            default:
                throw new FormatException($"Unknown response_format type '{type}'.");
        }
    }
}
