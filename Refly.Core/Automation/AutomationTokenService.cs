using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Refly.Core.Accounts;
using Refly.Core.Settings;

namespace Refly.Core.Automation;

/// <summary>
/// Automation API tokens created in Settings: only their SHA-256 hashes are stored, and the active ones are kept in
/// memory so that every API request is checked without a database read. Call <see cref="LoadAsync"/> once at start
/// (after migrations).
/// </summary>
public sealed class AutomationTokenService(IDbContextFactory<AccountsDbContext> contexts, TimeProvider time, ILogger<AutomationTokenService> logger)
{
    private static readonly AutomationTokenNameValidator _nameValidator = new();
    private readonly ConcurrentDictionary<string, Guid> _activeTokenHashes = new(StringComparer.Ordinal);

    /// <summary>Reads the active token hashes into memory.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var active = await db.Set<AutomationTokenRecord>().AsNoTracking().Where(t => t.RevokedAt == null).ToListAsync(cancellationToken);
        _activeTokenHashes.Clear();
        foreach (var token in active)
        {
            _activeTokenHashes[token.Hash] = token.Id;
        }
    }

    /// <summary>Whether <paramref name="token"/> is an active token created in Settings.</summary>
    public bool IsActiveAutomationToken(string token) =>
        !string.IsNullOrEmpty(token) && _activeTokenHashes.ContainsKey(HashToken(token));

    /// <summary>Creates a token; the clear token is returned once and only its hash is stored.</summary>
    public async Task<(CreatedAutomationToken? Created, SettingsResult Result)> CreateAutomationTokenAsync(string? name, CancellationToken cancellationToken)
    {
        var trimmed = name?.Trim() ?? "";
        var validation = await _nameValidator.ValidateAsync(trimmed, cancellationToken);
        if (!validation.IsValid)
        {
            return (null, SettingsResult.Refused(validation));
        }
        var token = "refly_" + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var record = new AutomationTokenRecord
        {
            Id = Guid.NewGuid(),
            Name = trimmed,
            Hash = HashToken(token),
            Hint = token[^4..],
            CreatedAt = time.GetUtcNow(),
        };
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Set<AutomationTokenRecord>().Add(record);
        await db.SaveChangesAsync(cancellationToken);
        _activeTokenHashes[record.Hash] = record.Id;
        logger.LogInformation("Automation token {TokenId} created", record.Id);
        return (new CreatedAutomationToken(ToView(record), token), SettingsResult.Ok);
    }

    /// <summary>Revokes a token at once; a revoked token is kept (listed as revoked) but never accepted again.</summary>
    public async Task<bool> RevokeAutomationTokenAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var record = await db.Set<AutomationTokenRecord>().FirstOrDefaultAsync(t => t.Id == id, cancellationToken);
        if (record is null || record.RevokedAt is not null)
        {
            return false;
        }
        record.RevokedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        _activeTokenHashes.TryRemove(record.Hash, out _);
        logger.LogInformation("Automation token {TokenId} revoked", record.Id);
        return true;
    }

    /// <summary>All tokens created in Settings, newest first.</summary>
    public async Task<IReadOnlyList<AutomationTokenView>> ListAutomationTokensAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var records = await db.Set<AutomationTokenRecord>().AsNoTracking().ToListAsync(cancellationToken);
        return records.OrderByDescending(r => r.CreatedAt).Select(ToView).ToList();
    }

    private static AutomationTokenView ToView(AutomationTokenRecord r) => new(r.Id, r.Name, r.Hint, r.CreatedAt, r.RevokedAt);

    private static string HashToken(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
