using System.Text.Json;
using System.Text.RegularExpressions;

namespace Refly.ModelSandbox.Generation;

/// <summary>
/// The facts a prompt carries, read the way a model would: every string, number and boolean of the JSON found in the
/// user messages (by property name, innermost wins), "name: value" lines of plain text, and the first array of JSON
/// objects as the groups an array answer should cover (one item each, in order).
/// </summary>
internal sealed partial class PromptFacts
{
    private PromptFacts(Dictionary<string, string> values, IReadOnlyList<Dictionary<string, string>> groups, string text)
    {
        Values = values;
        Groups = groups;
        Text = text;
    }

    /// <summary>Facts by lower-case property name.</summary>
    public Dictionary<string, string> Values { get; }

    /// <summary>The objects of the first array of objects in the prompt (e.g. fact groups), each flattened like <see cref="Values"/>.</summary>
    public IReadOnlyList<Dictionary<string, string>> Groups { get; }

    /// <summary>The whole prompt text (system and user), for checks such as "is this number in the prompt".</summary>
    public string Text { get; }

    public static PromptFacts Read(IReadOnlyList<(string Role, string Content)> messages)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        List<Dictionary<string, string>>? groups = null;
        foreach (var (role, content) in messages)
        {
            if (role is "system" or "developer")
            {
                continue;
            }
            var json = TryParse(content);
            if (json is { } root)
            {
                Flatten(root, values);
                groups ??= FindGroups(root);
                root.Dispose();
                continue;
            }
            foreach (Match m in LinePattern().Matches(content))
            {
                values.TryAdd(Normalize(m.Groups["name"].Value), m.Groups["value"].Value.Trim());
            }
        }
        return new PromptFacts(values, groups ?? [], string.Join("\n", messages.Select(m => m.Content)));
    }

    /// <summary>The first fact present among <paramref name="names"/> in <paramref name="scope"/>, then in the prompt.</summary>
    public string? Get(IReadOnlyDictionary<string, string>? scope, params ReadOnlySpan<string> names)
    {
        foreach (var name in names)
        {
            if (scope is not null && scope.TryGetValue(name, out var own) && own.Length > 0)
            {
                return own;
            }
        }
        foreach (var name in names)
        {
            if (Values.TryGetValue(name, out var value) && value.Length > 0)
            {
                return value;
            }
        }
        return null;
    }

    private static JsonDocument? TryParse(string content)
    {
        var trimmed = content.AsSpan().Trim();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '['))
        {
            // A prompt may wrap its JSON in words; take the outermost braces.
            var start = content.IndexOf('{', StringComparison.Ordinal);
            var end = content.LastIndexOf('}');
            if (start < 0 || end <= start)
            {
                return null;
            }
            content = content[start..(end + 1)];
        }
        try
        {
            return JsonDocument.Parse(content);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static void Flatten(JsonDocument document, Dictionary<string, string> values) => Flatten(document.RootElement, null, values);

    private static void Flatten(JsonElement element, string? name, Dictionary<string, string> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, Normalize(property.Name), values);
                }
                break;
            case JsonValueKind.Array:
                // Arrays of objects are groups, read on their own; arrays of scalars join.
                if (name is not null && element.EnumerateArray().All(e => e.ValueKind is JsonValueKind.String or JsonValueKind.Number))
                {
                    values.TryAdd(name, string.Join(", ", element.EnumerateArray().Select(e => e.ToString())));
                }
                break;
            case JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False when name is not null:
                values[name] = element.ToString();
                break;
        }
    }

    private static List<Dictionary<string, string>>? FindGroups(JsonDocument document)
    {
        return Find(document.RootElement);

        static List<Dictionary<string, string>>? Find(JsonElement element)
        {
            if (element.ValueKind == JsonValueKind.Array)
            {
                var items = element.EnumerateArray().ToList();
                if (items.Count > 0 && items.All(i => i.ValueKind == JsonValueKind.Object))
                {
                    return items.Select(i =>
                    {
                        var group = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                        Flatten(i, null, group);
                        return group;
                    }).ToList();
                }
            }
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    if (Find(property.Value) is { } found)
                    {
                        return found;
                    }
                }
            }
            return null;
        }
    }

    private static string Normalize(string name) => name.Trim().Replace(' ', '_').Replace('-', '_').ToLowerInvariant();

    [GeneratedRegex(@"^\s*[-*]?\s*(?<name>[A-Za-z][A-Za-z _-]{1,40}):\s*(?<value>\S.{0,300})$", RegexOptions.Multiline)]
    private static partial Regex LinePattern();
}
