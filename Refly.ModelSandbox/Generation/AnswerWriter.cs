using System.Text.Json;
using System.Text.Json.Nodes;

namespace Refly.ModelSandbox.Generation;

/// <summary>
/// Writes the assistant's content for a request: JSON valid for the <c>response_format</c> JSON schema when one is
/// given (objects, arrays, strings with their length bounds, enums, <c>$ref</c>/<c>$defs</c>, <c>anyOf</c>), a JSON
/// object of subject/preview_text/intro for <c>json_object</c> or a prompt that asks for JSON, plain copy otherwise.
/// An array whose items are objects gets one item per group of the prompt (see <see cref="PromptFacts.Groups"/>), and
/// an item property named like a group's property (an id) echoes its value, so a batched answer maps back to its groups.
/// Then the bad-output switch drawn for the request, if any, spoils it.
/// </summary>
internal sealed class AnswerWriter(PromptFacts facts, Random dice)
{
    private static readonly JsonSerializerOptions _compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private JsonElement _root;

    public static string Write(ResponseFormat format, PromptFacts facts, Random dice, BadOutput bad)
    {
        var writer = new AnswerWriter(facts, dice);
        switch (format.Kind)
        {
            case ResponseFormatKind.JsonSchema:
                writer._root = format.Schema;
                var node = writer.Generate(format.Schema, null, null, depth: 0);
                return Spoil(node, bad);
            case ResponseFormatKind.JsonObject:
                return Spoil(writer.DefaultDraft(null), bad);
            default:
                if (facts.Text.Contains("JSON", StringComparison.Ordinal))
                {
                    return Spoil(writer.DefaultDraft(null), bad);
                }
                var text = CopyWriter.Write(CopyWriter.Kind.Paragraph, facts, null, dice);
                return bad switch
                {
                    BadOutput.None or BadOutput.MalformedJson or BadOutput.SchemaViolation => text,
                    _ => SpoilText(text, bad),
                };
        }
    }

    private JsonObject DefaultDraft(IReadOnlyDictionary<string, string>? scope) => new()
    {
        ["subject"] = CopyWriter.Fit(CopyWriter.Write(CopyWriter.Kind.Subject, facts, scope, dice), 120),
        ["preview_text"] = CopyWriter.Fit(CopyWriter.Write(CopyWriter.Kind.Preview, facts, scope, dice), 180),
        ["intro"] = CopyWriter.Fit(CopyWriter.Write(CopyWriter.Kind.Paragraph, facts, scope, dice), 600),
    };

    private JsonNode? Generate(JsonElement schema, string? name, IReadOnlyDictionary<string, string>? scope, int depth)
    {
        if (depth > 32 || schema.ValueKind != JsonValueKind.Object)
        {
            return JsonValue.Create(CopyWriter.Write(CopyWriter.KindOf(name), facts, scope, dice));
        }
        if (schema.TryGetProperty("$ref", out var reference) && Resolve(reference.GetString()) is { } target)
        {
            return Generate(target, name, scope, depth + 1);
        }
        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonNode.Parse(constant.GetRawText());
        }
        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var options = choices.EnumerateArray().Where(c => c.ValueKind != JsonValueKind.Null).ToList();
            return options.Count == 0 ? null : JsonNode.Parse(options[dice.Next(options.Count)].GetRawText());
        }
        foreach (var combinator in (ReadOnlySpan<string>)["anyOf", "oneOf", "allOf"])
        {
            if (schema.TryGetProperty(combinator, out var alternatives) && alternatives.ValueKind == JsonValueKind.Array)
            {
                var pick = alternatives.EnumerateArray().FirstOrDefault(a => TypeOf(a) != "null");
                if (pick.ValueKind == JsonValueKind.Object)
                {
                    return Generate(pick, name, scope, depth + 1);
                }
            }
        }

        switch (TypeOf(schema))
        {
            case "object":
                return Object(schema, scope, depth);
            case "array":
                return Array(schema, name, scope, depth);
            case "integer":
                return JsonValue.Create((long)Number(schema, 1));
            case "number":
                return JsonValue.Create(Number(schema, 1));
            case "boolean":
                return JsonValue.Create(true);
            case "null":
                return null;
            default:
                return JsonValue.Create(String(schema, name, scope));
        }
    }

    private JsonObject Object(JsonElement schema, IReadOnlyDictionary<string, string>? scope, int depth)
    {
        var result = new JsonObject();
        if (!schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return schema.TryGetProperty("additionalProperties", out var extra) && extra.ValueKind == JsonValueKind.False ? result : DefaultDraft(scope);
        }
        foreach (var property in properties.EnumerateObject())
        {
            // A property named like one of the group's own (its id or key) carries the group's value back.
            if (scope is not null && IsIdLike(property.Name) && scope.TryGetValue(property.Name, out var echoed)
                && TypeOf(property.Value) is "string" or "integer" or "number" or null)
            {
                result[property.Name] = TypeOf(property.Value) is "integer" or "number" && double.TryParse(echoed, System.Globalization.CultureInfo.InvariantCulture, out var n)
                    ? JsonValue.Create(n)
                    : JsonValue.Create(echoed);
                continue;
            }
            result[property.Name] = Generate(property.Value, property.Name, scope, depth + 1);
        }
        return result;
    }

    private JsonArray Array(JsonElement schema, string? name, IReadOnlyDictionary<string, string>? scope, int depth)
    {
        var items = schema.TryGetProperty("items", out var i) ? i : default;
        var min = schema.TryGetProperty("minItems", out var mn) && mn.TryGetInt32(out var a) ? a : 1;
        var max = schema.TryGetProperty("maxItems", out var mx) && mx.TryGetInt32(out var b) ? b : int.MaxValue;
        var result = new JsonArray();
        var itemsAreObjects = items.ValueKind == JsonValueKind.Object && (TypeOf(Follow(items)) == "object");
        if (scope is null && itemsAreObjects && facts.Groups.Count > 0)
        {
            foreach (var group in facts.Groups.Take(max))
            {
                result.Add(Generate(items, name, group, depth + 1));
            }
        }
        var count = Math.Min(Math.Max(min, 1), max);
        while (result.Count < count)
        {
            result.Add(Generate(items, name, scope, depth + 1));
        }
        return result;
    }

    private string String(JsonElement schema, string? name, IReadOnlyDictionary<string, string>? scope)
    {
        if (schema.TryGetProperty("format", out var format))
        {
            switch (format.GetString())
            {
                case "date-time":
                    return "2026-07-15T09:00:00Z";
                case "date":
                    return "2026-07-15";
                case "uri":
                    return "https://example.com/";
            }
        }
        var max = schema.TryGetProperty("maxLength", out var mx) && mx.TryGetInt32(out var b) ? b : (int?)null;
        var min = schema.TryGetProperty("minLength", out var mn) && mn.TryGetInt32(out var a) ? a : (int?)null;
        var kind = CopyWriter.KindOf(name);
        var defaultMax = kind switch { CopyWriter.Kind.Subject => 120, CopyWriter.Kind.Preview => 180, _ => 600 };
        return CopyWriter.Fit(CopyWriter.Write(kind, facts, scope, dice), max ?? defaultMax, min);
    }

    private static bool IsIdLike(string name)
    {
        var n = name.ToLowerInvariant();
        return n == "id" || n.EndsWith("_id", StringComparison.Ordinal) || n.EndsWith("id", StringComparison.Ordinal) && n.Length <= 8
            || n.Contains("key", StringComparison.Ordinal) || n.Contains("group", StringComparison.Ordinal) || n == "index";
    }

    private static double Number(JsonElement schema, double fallback) =>
        schema.TryGetProperty("minimum", out var min) && min.TryGetDouble(out var m) ? m : fallback;

    private JsonElement Follow(JsonElement schema) =>
        schema.TryGetProperty("$ref", out var r) && Resolve(r.GetString()) is { } target ? target : schema;

    private JsonElement? Resolve(string? reference)
    {
        if (reference is null || !reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return reference == "#" ? _root : null;
        }
        var current = _root;
        foreach (var segment in reference[2..].Split('/'))
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(segment.Replace("~1", "/").Replace("~0", "~"), out current))
            {
                return null;
            }
        }
        return current;
    }

    private static string? TypeOf(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }
        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                return type.GetString();
            }
            if (type.ValueKind == JsonValueKind.Array)
            {
                return type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null") ?? "null";
            }
        }
        if (schema.TryGetProperty("properties", out _))
        {
            return "object";
        }
        return schema.TryGetProperty("items", out _) ? "array" : null;
    }

    /// <summary>Serializes <paramref name="node"/>, spoiled as <paramref name="bad"/> says.</summary>
    private static string Spoil(JsonNode? node, BadOutput bad)
    {
        switch (bad)
        {
            case BadOutput.MalformedJson:
                var json = Serialize(node);
                // Cut mid-way as a model does when it runs away or is cut off: unterminated, never parseable.
                return json.Length > 2 ? json[..(json.Length / 2)] + "\"" : "{\"subject\": \"";
            case BadOutput.SchemaViolation:
                return Serialize(ViolateSchema(node));
            case BadOutput.None:
                return Serialize(node);
            default:
                return Serialize(SpoilCopy(node, bad));
        }
    }

    private static JsonNode? ViolateSchema(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count > 0:
                // The first property goes missing (every property is required in a strict schema), the next one changes type.
                var names = obj.Select(p => p.Key).ToList();
                obj.Remove(names[0]);
                if (names.Count > 1)
                {
                    obj[names[1]] = JsonValue.Create(42);
                }
                return obj;
            case JsonArray array:
                return JsonValue.Create("not an array");
            case JsonObject:
                return JsonValue.Create(42);
            default:
                return new JsonObject { ["unexpected"] = true };
        }
    }

    private static JsonNode? SpoilCopy(JsonNode? node, BadOutput bad)
    {
        switch (node)
        {
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    array[i] = SpoilCopy(array[i]?.DeepClone(), bad);
                }
                return array;
            case JsonObject obj:
                // The first string property (the subject in Refly's schema) takes the bad copy.
                foreach (var (key, value) in obj.ToList())
                {
                    if (value is JsonValue s && s.TryGetValue<string>(out var text))
                    {
                        obj[key] = JsonValue.Create(SpoilText(text, bad));
                        return obj;
                    }
                    if (value is JsonObject or JsonArray)
                    {
                        obj[key] = SpoilCopy(value.DeepClone(), bad);
                        return obj;
                    }
                }
                return obj;
            case JsonValue s when s.TryGetValue<string>(out var text):
                return JsonValue.Create(SpoilText(text, bad));
            default:
                return node;
        }
    }

    private static string SpoilText(string text, BadOutput bad) => bad switch
    {
        // Beyond any subject or preview bound and three times the copy, yet within a usual max_tokens budget.
        BadOutput.Overlong => Repeat(text, Math.Max(500, text.Length * 3)),
        BadOutput.TemplateSyntax => $"{{{{ person.first_name|default:'there' }}}}, {text} {{% if person.vip %}}VIP{{% endif %}}",
        BadOutput.Html => $"<b>{text}</b> <a href=\"#\">Shop</a>",
        BadOutput.Link => $"{text} Claim yours at {ModelFaults.InventedLink}",
        BadOutput.InventedPercentage => $"{text} Today only, {ModelFaults.InventedPercentage} everything",
        _ => text,
    };

    private static string Repeat(string text, int length)
    {
        var sentence = text.TrimEnd('.') + ". ";
        var result = new System.Text.StringBuilder(length + sentence.Length);
        while (result.Length < length)
        {
            result.Append(sentence);
        }
        return result.ToString().TrimEnd();
    }

    private static string Serialize(JsonNode? node) => node is null ? "null" : node.ToJsonString(_compact);
}
