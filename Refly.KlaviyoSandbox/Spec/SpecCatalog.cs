using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Refly.KlaviyoSandbox.Spec;

/// <summary>
/// Klaviyo's OpenAPI slices, loaded once from embedded resources. Query parameters, filters, page sizes, request
/// bodies and rate limits are read from the spec instead of being hand-copied, so the sandbox is exactly as strict
/// as the revision it serves and a spec update is a file copy.
/// </summary>
public sealed partial class SpecCatalog
{
    public const string Revision = "2026-07-15";

    private static readonly Lazy<SpecCatalog> _instance = new(Load);
    private readonly List<SpecOperation> _operations;

    private SpecCatalog(List<SpecOperation> operations) => _operations = operations;

    public static SpecCatalog Instance => _instance.Value;

    public IReadOnlyList<SpecOperation> Operations => _operations;

    public SpecOperation Get(string operationId) =>
        _operations.FirstOrDefault(o => o.OperationId == operationId)
        ?? throw new InvalidOperationException($"Operation {operationId} is not in the spec slices.");

    /// <summary>Finds the operation for a request path; <paramref name="pathExists"/> tells 404 from 405.</summary>
    public SpecOperation? Match(string method, string path, out bool pathExists, out Dictionary<string, string> routeValues)
    {
        pathExists = false;
        routeValues = [];
        var segments = path.TrimEnd('/').Split('/');
        SpecOperation? best = null;
        var bestLiterals = -1;
        foreach (var op in _operations)
        {
            if (!op.TryMatch(segments, out var values, out var literals) || literals < bestLiterals)
            {
                continue;
            }
            if (literals > bestLiterals)
            {
                pathExists = true;
                best = null;
                bestLiterals = literals;
            }
            if (string.Equals(op.Method, method, StringComparison.OrdinalIgnoreCase))
            {
                best = op;
                routeValues = values;
            }
        }
        return best;
    }

    private static SpecCatalog Load()
    {
        var assembly = typeof(SpecCatalog).Assembly;
        var operations = new List<SpecOperation>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Refly.Sandbox.Spec.", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            var document = JsonNode.Parse(stream)!.AsObject();
            var resolver = new SchemaResolver(document);
            foreach (var (path, item) in document["paths"]!.AsObject())
            {
                foreach (var (method, opNode) in item!.AsObject())
                {
                    if (method is "get" or "post" or "patch" or "delete" or "put")
                    {
                        operations.Add(ParseOperation(method.ToUpperInvariant(), path, opNode!.AsObject(), resolver));
                    }
                }
            }
        }
        if (operations.Count == 0)
        {
            throw new InvalidOperationException("No Klaviyo OpenAPI slices are embedded in the assembly.");
        }
        return new SpecCatalog(operations);
    }

    private static SpecOperation ParseOperation(string method, string path, JsonObject op, SchemaResolver resolver)
    {
        var description = op["description"]?.GetValue<string>() ?? "";
        var parameters = new Dictionary<string, SpecQueryParameter>(StringComparer.Ordinal);
        foreach (var p in op["parameters"]?.AsArray() ?? [])
        {
            if (p?["in"]?.GetValue<string>() != "query")
            {
                continue;
            }
            var name = p["name"]!.GetValue<string>();
            var schema = resolver.Resolve(p["schema"]!.AsObject());
            var pDescription = p["description"]?.GetValue<string>() ?? "";
            parameters[name] = new SpecQueryParameter(
                name,
                p["required"]?.GetValue<bool>() ?? false,
                schema["type"]?.GetValue<string>() ?? "string",
                ReadEnum(schema["type"]?.GetValue<string>() == "array" ? schema["items"] as JsonObject : schema),
                ReadNumber(schema["minimum"]),
                ReadNumber(schema["maximum"]),
                ReadNumber(schema["default"]),
                name == "filter" ? ParseAllowedFilters(pDescription) : null);
        }

        JsonObject? body = null;
        var bodyRequired = false;
        if (op["requestBody"] is JsonObject requestBody)
        {
            bodyRequired = requestBody["required"]?.GetValue<bool>() ?? false;
            body = requestBody["content"]?["application/vnd.api+json"]?["schema"] as JsonObject;
        }

        var responses = new Dictionary<int, JsonObject>();
        foreach (var (code, response) in op["responses"]?.AsObject() ?? [])
        {
            if (int.TryParse(code, CultureInfo.InvariantCulture, out var status) && response?["content"]?["application/vnd.api+json"]?["schema"] is JsonObject schema)
            {
                responses[status] = schema;
            }
        }

        var (limits, conditional) = ParseRateLimits(description);
        return new SpecOperation(method, path, op["operationId"]!.GetValue<string>(), description, parameters, body, bodyRequired, resolver, limits, conditional)
        {
            ResponseSchemas = responses,
        };
    }

    private static HashSet<string>? ReadEnum(JsonObject? schema) =>
        schema?["enum"] is JsonArray values ? values.Select(v => v!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) : null;

    private static long? ReadNumber(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;

    // "Allowed field(s)/operator(s):<br>`email`: `any`, `equals`<br>`joined_group_at`: `greater-or-equal`, ..."
    internal static Dictionary<string, HashSet<string>> ParseAllowedFilters(string description)
    {
        var allowed = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        var marker = description.IndexOf("Allowed field(s)/operator(s):", StringComparison.Ordinal);
        if (marker < 0)
        {
            return allowed;
        }
        foreach (var line in description[marker..].Split("<br>").Skip(1))
        {
            var match = AllowedFilterLine().Match(line);
            if (match.Success)
            {
                allowed[match.Groups[1].Value] = BacktickValue().Matches(match.Groups[2].Value).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
            }
        }
        return allowed;
    }

    // The first Burst/Steady pair is the operation's limit; later pairs are introduced by
    // "Rate limits when using the `param=value` parameter" and replace it for such requests.
    internal static (RateLimit Default, List<ConditionalRateLimit> Conditional) ParseRateLimits(string description)
    {
        var defaults = new RateLimit(10, 150);
        var conditional = new List<ConditionalRateLimit>();
        var pairs = BurstSteady().Matches(description);
        if (pairs.Count > 0)
        {
            defaults = new RateLimit(int.Parse(pairs[0].Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(pairs[0].Groups[2].Value, CultureInfo.InvariantCulture));
            // Reporting operations add a third window, "Daily: `225/d`", right after the steady one.
            var daily = DailyLimit().Match(description, pairs[0].Index + pairs[0].Length);
            if (daily.Success && daily.Index - (pairs[0].Index + pairs[0].Length) < 16)
            {
                defaults = defaults with { PerDay = int.Parse(daily.Groups[1].Value, CultureInfo.InvariantCulture) };
            }
        }
        foreach (Match m in ConditionalLimit().Matches(description))
        {
            conditional.Add(new ConditionalRateLimit(m.Groups[1].Value, m.Groups[2].Value,
                new RateLimit(int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture))));
        }
        return (defaults, conditional);
    }

    [GeneratedRegex(@"^`([^`]+)`:\s*(.*)$")]
    private static partial Regex AllowedFilterLine();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex BacktickValue();

    [GeneratedRegex(@"Burst: `(\d+)/s`.*?Steady: `(\d+)/m`", RegexOptions.Singleline)]
    private static partial Regex BurstSteady();

    [GeneratedRegex(@"Daily: `(\d+)/d`")]
    private static partial Regex DailyLimit();

    [GeneratedRegex(@"Rate limits when using the `([^=`]+)=([^`]+)` parameter.*?Burst: `(\d+)/s`.*?Steady: `(\d+)/m`", RegexOptions.Singleline)]
    private static partial Regex ConditionalLimit();
}

/// <summary>An operation's windows; <paramref name="PerDay"/> only where the spec states a daily limit (reporting).</summary>
public sealed record RateLimit(int PerSecond, int PerMinute, int? PerDay = null);

/// <summary>A stricter limit that applies when a query parameter carries a value (e.g. additional-fields[list]=profile_count).</summary>
public sealed record ConditionalRateLimit(string Parameter, string Value, RateLimit Limit);

public sealed record SpecQueryParameter(
    string Name,
    bool Required,
    string Type,
    HashSet<string>? Enum,
    long? Minimum,
    long? Maximum,
    long? Default,
    Dictionary<string, HashSet<string>>? AllowedFilters);

public sealed class SpecOperation(
    string method,
    string path,
    string operationId,
    string description,
    Dictionary<string, SpecQueryParameter> queryParameters,
    JsonObject? bodySchema,
    bool bodyRequired,
    SchemaResolver resolver,
    RateLimit rateLimit,
    List<ConditionalRateLimit> conditionalRateLimits)
{
    private readonly string[] _segments = path.Split('/');

    public string Method { get; } = method;
    public string Path { get; } = path;
    public string OperationId { get; } = operationId;
    public string Description { get; } = description;
    public IReadOnlyDictionary<string, SpecQueryParameter> QueryParameters { get; } = queryParameters;
    public JsonObject? BodySchema { get; } = bodySchema;
    public bool BodyRequired { get; } = bodyRequired;
    public SchemaResolver Resolver { get; } = resolver;
    public RateLimit RateLimit { get; } = rateLimit;
    public IReadOnlyList<ConditionalRateLimit> ConditionalRateLimits { get; } = conditionalRateLimits;

    /// <summary>Success response schemas by status; tests validate the sandbox's answers against them.</summary>
    public IReadOnlyDictionary<int, JsonObject> ResponseSchemas { get; init; } = new Dictionary<int, JsonObject>();

    /// <summary>page[size] bounds and default as the spec states them.</summary>
    public (int Min, int Max, int Default)? PageSize =>
        QueryParameters.TryGetValue("page[size]", out var p)
            ? ((int)(p.Minimum ?? 1), (int)(p.Maximum ?? 100), (int)(p.Default ?? p.Maximum ?? 20))
            : null;

    internal bool TryMatch(string[] segments, out Dictionary<string, string> values, out int literals)
    {
        values = [];
        literals = 0;
        if (segments.Length != _segments.Length)
        {
            return false;
        }
        for (var i = 0; i < segments.Length; i++)
        {
            var template = _segments[i];
            if (template.StartsWith('{') && template.EndsWith('}'))
            {
                if (segments[i].Length == 0)
                {
                    return false;
                }
                values[template[1..^1]] = Uri.UnescapeDataString(segments[i]);
            }
            else if (string.Equals(template, segments[i], StringComparison.Ordinal))
            {
                literals++;
            }
            else
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>Resolves local <c>$ref</c>s of one slice.</summary>
public sealed class SchemaResolver(JsonObject document)
{
    public JsonObject Resolve(JsonObject schema)
    {
        var current = schema;
        for (var i = 0; i < 32 && current["$ref"] is JsonValue reference; i++)
        {
            var pointer = reference.GetValue<string>();
            JsonNode? target = document;
            foreach (var part in pointer.TrimStart('#', '/').Split('/'))
            {
                target = target?[part];
            }
            current = target as JsonObject ?? throw new InvalidOperationException($"Unresolvable $ref {pointer}.");
        }
        return current;
    }
}
