namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>
/// A parsed <c>fields[type]</c> list ("email", "location.city", ...), so hot paths (profile pages) build only the
/// requested attributes instead of building everything and pruning.
/// </summary>
public sealed class SparseFieldset
{
    private readonly HashSet<string> _whole = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SparseFieldset> _nested = new(StringComparer.Ordinal);

    private SparseFieldset()
    {
    }

    /// <summary>Null means "all fields".</summary>
    public static SparseFieldset? Parse(IEnumerable<string>? fields)
    {
        if (fields is null)
        {
            return null;
        }
        var set = new SparseFieldset();
        foreach (var field in fields)
        {
            set.Add(field);
        }
        return set;
    }

    public bool Wants(string name) => _whole.Contains(name) || _nested.ContainsKey(name);

    /// <summary>The selection inside a wanted member; null when the whole member is wanted.</summary>
    public SparseFieldset? Inside(string name) => _whole.Contains(name) ? null : _nested.GetValueOrDefault(name);

    private void Add(string field)
    {
        var dot = field.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            _whole.Add(field);
            return;
        }
        var head = field[..dot];
        if (!_nested.TryGetValue(head, out var child))
        {
            _nested[head] = child = new SparseFieldset();
        }
        child.Add(field[(dot + 1)..]);
    }
}
