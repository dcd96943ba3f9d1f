using Refly.KlaviyoSandbox.Spec;

namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>
/// Filter and sort for the small collections (tags, templates, lists, segments, import jobs). The pipeline has
/// already checked field/operator pairs against the spec, so every pair that reaches here is one the spec allows.
/// </summary>
public static class CollectionQuery
{
    /// <summary><paramref name="field"/> returns a string, DateTimeOffset, bool or null for a field name.</summary>
    public static IEnumerable<T> Filter<T>(IEnumerable<T> items, IReadOnlyList<FilterCondition> filter, Func<T, string, object?> field)
    {
        foreach (var condition in filter)
        {
            var c = condition;
            items = items.Where(item => Matches(field(item, c.Field), c)).ToList();
        }
        return items;
    }

    /// <summary>Sorts by "name" or "-name"; ties and the default order fall back to <paramref name="defaultField"/>, then id.</summary>
    public static IEnumerable<T> Sort<T>(IEnumerable<T> items, string? sort, Func<T, string, object?> field, string defaultField)
    {
        var descending = sort?.StartsWith('-') == true;
        var name = sort?.TrimStart('-') ?? defaultField;
        var ordered = descending
            ? items.OrderByDescending(i => field(i, name), Comparer<object?>.Create(Compare))
            : items.OrderBy(i => field(i, name), Comparer<object?>.Create(Compare));
        return ordered.ThenBy(i => field(i, "id"), Comparer<object?>.Create(Compare));
    }

    private static bool Matches(object? value, FilterCondition c) => c.Operator switch
    {
        "equals" => Equal(value, c.Value),
        "any" => c.Value is List<object?> list && list.Any(v => Equal(value, v)),
        "contains" => value is string s && c.Value is string sub && s.Contains(sub, StringComparison.Ordinal),
        "starts-with" => value is string s && c.Value is string prefix && s.StartsWith(prefix, StringComparison.Ordinal),
        "ends-with" => value is string s && c.Value is string suffix && s.EndsWith(suffix, StringComparison.Ordinal),
        "greater-than" => Compare(value, c.Value) > 0 && value is not null,
        "greater-or-equal" => Compare(value, c.Value) >= 0 && value is not null,
        "less-than" => Compare(value, c.Value) < 0 && value is not null,
        "less-or-equal" => Compare(value, c.Value) <= 0 && value is not null,
        _ => throw KlaviyoFilter.Invalid($"Operator '{c.Operator}' is not supported."),
    };

    private static bool Equal(object? value, object? expected) => value switch
    {
        DateTimeOffset d => expected is DateTimeOffset e && d == e,
        _ => Equals(value, expected),
    };

    private static int Compare(object? a, object? b) => (a, b) switch
    {
        (null, null) => 0,
        (null, _) => -1,
        (_, null) => 1,
        (DateTimeOffset x, DateTimeOffset y) => x.CompareTo(y),
        (string x, string y) => string.CompareOrdinal(x, y),
        (bool x, bool y) => x.CompareTo(y),
        _ => string.CompareOrdinal(Convert.ToString(a, System.Globalization.CultureInfo.InvariantCulture), Convert.ToString(b, System.Globalization.CultureInfo.InvariantCulture)),
    };
}
