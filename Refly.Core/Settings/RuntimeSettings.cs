using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Refly.Core.Settings;

/// <summary>
/// The operational settings saved in the UI, in memory (secrets decrypted), keyed like configuration
/// (e.g. <c>Triggers:TagName</c>). <see cref="SettingsService"/> replaces them after a load or a save and then fires
/// <see cref="GetChangeToken"/>, so every <see cref="IOptionsMonitor{TOptions}"/> of an overridden options class
/// recomputes its value (see <see cref="SettingsSectionServiceCollectionExtensions.AddStoredSettingsOverride{TOptions}"/>).
/// </summary>
public sealed class RuntimeSettings
{
    private readonly Lock _lock = new();
    private volatile ImmutableDictionary<string, string> _values = ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.OrdinalIgnoreCase);
    private CancellationTokenSource _changed = new();

    /// <summary>The saved value of <paramref name="key"/>, or null when configuration applies.</summary>
    public string? Get(string key) => _values.TryGetValue(key, out var value) ? value : null;

    /// <summary>A token that fires once, the next time the saved settings change.</summary>
    public IChangeToken GetChangeToken()
    {
        lock (_lock)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    /// <summary>Replaces all values at once and tells the options monitors.</summary>
    internal void Replace(IReadOnlyDictionary<string, string> values)
    {
        CancellationTokenSource fired;
        lock (_lock)
        {
            _values = values.ToImmutableDictionary(StringComparer.OrdinalIgnoreCase);
            fired = _changed;
            _changed = new CancellationTokenSource();
        }
        // Outside the lock: the callbacks read the new values and ask for the next token.
        // Not disposed: a monitor may still be registering on the old token, which must then simply read as fired.
        fired.Cancel();
    }
}

/// <summary>Tells <see cref="IOptionsMonitor{TOptions}"/> of <typeparamref name="TOptions"/> that saved settings changed.</summary>
internal sealed class RuntimeSettingsChangeTokenSource<TOptions>(RuntimeSettings settings) : IOptionsChangeTokenSource<TOptions>
{
    public string Name => Options.DefaultName;

    public IChangeToken GetChangeToken() => settings.GetChangeToken();
}
