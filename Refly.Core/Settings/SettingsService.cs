using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Refly.Core.Accounts;

namespace Refly.Core.Settings;

/// <summary>
/// Settings saved in the UI, section by section (<see cref="ISettingsSection"/>: each feature registers its own).
/// Secrets are encrypted with ASP.NET Core Data Protection before they reach SQLite and are never logged. The saved
/// values, decrypted, go to <see cref="RuntimeSettings"/>, which overrides configuration in the options monitors and
/// which the sections read. Call <see cref="LoadAsync"/> once at start (after migrations).
/// </summary>
public sealed class SettingsService(
    IDbContextFactory<AccountsDbContext> contexts,
    IDataProtectionProvider dataProtection,
    RuntimeSettings runtime,
    IEnumerable<ISettingsSection> sections,
    TimeProvider time,
    ILogger<SettingsService> logger)
{
    private readonly SemaphoreSlim _saving = new(1, 1);
    private Dictionary<string, string> _saved = new(StringComparer.OrdinalIgnoreCase);
    private readonly IDataProtector _protector = dataProtection.CreateProtector("Refly.Settings.Secrets.v1");
    private readonly IReadOnlyList<ISettingsSection> _sections = sections.ToList();
    private readonly Dictionary<string, SettingKey> _keys = sections.SelectMany(s => s.Keys).ToDictionary(k => k.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Reads the saved values of every registered section into memory.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = _keys.Keys.ToArray();
        var saved = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in await db.Set<StoredSetting>().AsNoTracking().Where(s => keys.Contains(s.Key)).ToListAsync(cancellationToken))
        {
            if (Reveal(row) is { } value)
            {
                saved[row.Key] = value;
            }
        }
        await _saving.WaitAsync(cancellationToken);
        try
        {
            Publish(saved);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>
    /// Validates <paramref name="input"/> with <paramref name="section"/>, stores what it says (secrets encrypted) and
    /// applies it at once: the options monitors recompute, so jobs reschedule and the next request or run uses it.
    /// </summary>
    public async Task<SettingsResult> SaveAsync<TInput>(ISettingsSection<TInput> section, TInput input, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(section);
        var validation = section.Validate(input);
        if (!validation.IsValid)
        {
            return SettingsResult.Refused(validation);
        }
        var changes = section.ToStored(input);
        await SaveAsync(section, changes, cancellationToken);
        logger.LogInformation("{Section} changed in Settings: {Changes}", section.Name, string.Join(", ", changes.Select(Describe)));
        return SettingsResult.Ok;
    }

    /// <summary>Forgets every saved value of <paramref name="section"/>: configuration applies again.</summary>
    public async Task ResetAsync(ISettingsSection section, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(section);
        await SaveAsync(section, section.Keys.ToDictionary(k => k.Key, string? (_) => null), cancellationToken);
        logger.LogInformation("{Section} removed from Settings: configuration applies again", section.Name);
    }

    /// <summary>A change as logs may show it: secrets only as replaced or removed.</summary>
    private string Describe(KeyValuePair<string, string?> change) =>
        _keys[change.Key].Secret ? $"{change.Key} {(change.Value is null ? "removed" : "replaced")}"
        : $"{change.Key} = {change.Value ?? "(configuration)"}";

    /// <summary>Writes the section's changes (null deletes), then publishes the new values to the options monitors.</summary>
    private async Task SaveAsync(ISettingsSection section, IReadOnlyDictionary<string, string?> changes, CancellationToken cancellationToken)
    {
        if (!_sections.Contains(section))
        {
            throw new InvalidOperationException($"The settings section {section.Name} is not registered (AddSettingsSection), so it would not load at start.");
        }
        if (changes.Keys.FirstOrDefault(key => !section.Keys.Any(k => string.Equals(k.Key, key, StringComparison.OrdinalIgnoreCase))) is { } foreign)
        {
            throw new InvalidOperationException($"The settings section {section.Name} does not own the key {foreign}.");
        }
        await _saving.WaitAsync(cancellationToken);
        try
        {
            await WriteAsync(changes, cancellationToken);
            var saved = new Dictionary<string, string>(_saved, StringComparer.OrdinalIgnoreCase);
            foreach (var (key, value) in changes)
            {
                if (value is null)
                {
                    saved.Remove(key);
                }
                else
                {
                    saved[key] = value;
                }
            }
            Publish(saved);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>Makes <paramref name="saved"/> the saved values in use (the options monitors see them at once); under <c>_saving</c>.</summary>
    private void Publish(Dictionary<string, string> saved)
    {
        _saved = saved;
        runtime.Replace(saved);
    }

    /// <summary>Upserts the rows (secrets encrypted) and deletes those set to null, in one SaveChanges.</summary>
    private async Task WriteAsync(IReadOnlyDictionary<string, string?> changes, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var keys = changes.Keys.ToArray();
        var rows = await db.Set<StoredSetting>().Where(s => keys.Contains(s.Key)).ToDictionaryAsync(s => s.Key, StringComparer.OrdinalIgnoreCase, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var (key, value) in changes)
        {
            rows.TryGetValue(key, out var row);
            if (value is null)
            {
                if (row is not null)
                {
                    db.Set<StoredSetting>().Remove(row);
                }
                continue;
            }
            var stored = IsSecret(key) ? _protector.Protect(value) : value;
            if (row is null)
            {
                db.Set<StoredSetting>().Add(new StoredSetting { Key = key, Value = stored, UpdatedAt = now });
            }
            else
            {
                row.Value = stored;
                row.UpdatedAt = now;
            }
        }
        await db.SaveChangesAsync(cancellationToken);
    }

    private bool IsSecret(string key) => _keys.TryGetValue(key, out var setting) && setting.Secret;

    /// <summary>A stored row's value, decrypted when it is a secret; null when the key ring can no longer decrypt it.</summary>
    private string? Reveal(StoredSetting row)
    {
        if (!IsSecret(row.Key))
        {
            return row.Value;
        }
        try
        {
            return _protector.Unprotect(row.Value);
        }
        catch (CryptographicException ex)
        {
            // The key ring beside the database was lost or replaced: the secret cannot be recovered, only re-entered.
            logger.LogError(ex, "The stored setting {Key} cannot be decrypted (data protection keys changed); enter it again in Settings", row.Key);
            return null;
        }
    }
}
