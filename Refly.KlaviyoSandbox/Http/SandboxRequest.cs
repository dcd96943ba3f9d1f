using System.Text.Json;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;

namespace Refly.KlaviyoSandbox.Http;

/// <summary>A request the pipeline has authenticated, rate-limited and validated against its spec operation.</summary>
public sealed class SandboxRequest(SpecOperation operation, Dictionary<string, string> routeValues, Dictionary<string, string> query,
    IReadOnlyList<FilterCondition> filter, JsonElement? body)
{
    private const string ItemKey = "Refly.Sandbox.Request";

    public SpecOperation Operation { get; } = operation;
    public IReadOnlyDictionary<string, string> RouteValues { get; } = routeValues;
    public IReadOnlyDictionary<string, string> Query { get; } = query;
    public IReadOnlyList<FilterCondition> Filter { get; } = filter;
    public JsonElement? Body { get; } = body;

    public string Id => RouteValues.TryGetValue("id", out var id) ? id : RouteValues["job_id"];

    public JsonElement RequireBody() => Body ?? throw KlaviyoApiException.InvalidBody("/", "A request body is required.");

    /// <summary>The sparse fieldset for a resource type, or null for all fields.</summary>
    public IReadOnlySet<string>? Fields(string type) =>
        Query.TryGetValue($"fields[{type}]", out var v) ? v.Split(',').ToHashSet(StringComparer.Ordinal) : null;

    public bool Includes(string relationship) =>
        Query.TryGetValue("include", out var v) && v.Split(',').Contains(relationship, StringComparer.Ordinal);

    public bool AdditionalField(string type, string field) =>
        Query.TryGetValue($"additional-fields[{type}]", out var v) && v.Split(',').Contains(field, StringComparer.Ordinal);

    public int PageSize
    {
        get
        {
            var bounds = Operation.PageSize ?? (1, 100, 100);
            return Query.TryGetValue("page[size]", out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : bounds.Default;
        }
    }

    public long CursorPosition => Query.TryGetValue("page[cursor]", out var v) ? PageCursor.Decode(v) : 0;

    public string? Sort => Query.GetValueOrDefault("sort");

    public FilterCondition? Condition(string field, params string[] operators) =>
        Filter.FirstOrDefault(c => c.Field == field && (operators.Length == 0 || operators.Contains(c.Operator)));

    internal void Attach(HttpContext context) => context.Items[ItemKey] = this;

    public static SandboxRequest From(HttpContext context) =>
        context.Items[ItemKey] as SandboxRequest ?? throw new InvalidOperationException("The sandbox pipeline did not run for this request.");
}
