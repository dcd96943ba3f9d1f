using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Persistence;

namespace Refly.Core.Leases;

/// <summary>
/// Leases in the database, so that a piece of work (a run, the tag poll, the campaign sync) has exactly one owner
/// among every app instance on the same database: two processes started side by side, a restart that overlaps, later
/// several nodes. A lease is taken, renewed and released with single conditional SQL statements
/// (<c>... WHERE Owner = me OR ExpiresAt &lt;= now</c>), so two instances can never both hold it; a holder that stops
/// renewing (kill -9, a frozen process) loses it once <see cref="LeaseOptions.Duration"/> has passed, and another
/// instance may take it.
/// </summary>
/// <remarks>
/// Writes of the guarded work are fenced with <see cref="EnsureHeldAsync(DbConnection, DbTransaction?, string, CancellationToken)"/>
/// in the write's own transaction: a holder that lost its lease can never overwrite what the new holder wrote.
/// </remarks>
public sealed partial class LeaseManager(
    IDbContextFactory<ReflyDbContext> contextFactory,
    TimeProvider time,
    IOptionsMonitor<LeaseOptions> options,
    ILogger<LeaseManager> logger)
{
    // The Unix epoch (tick 0 is not used: 0001-01-01 also sorts below every real time, but the epoch reads better).
    private static readonly long _released = DateTimeOffset.UnixEpoch.UtcTicks;

    private readonly ConcurrentDictionary<string, Lease> _held = new(StringComparer.Ordinal);

    /// <summary>This instance's id in the <c>Leases</c> table: host, process id and a random part (unique per start).</summary>
    public string OwnerId { get; } = $"{Truncate(Environment.MachineName, 40)}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..12]}";

    /// <summary>
    /// Takes the lease <paramref name="name"/> if nobody holds it, its holder's lease expired or was released, or this
    /// instance held it before; otherwise says who holds it and until when. Refused as well when this instance holds it
    /// already (the work is under way here).
    /// </summary>
    public async Task<LeaseAttempt> TryAcquireAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_held.TryGetValue(name, out var mine) && !mine.IsLost)
        {
            return new LeaseAttempt(null, OwnerId, mine.ExpiresAt);
        }
        var now = time.GetUtcNow();
        var expires = now + options.CurrentValue.Duration;
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = db.Database.GetDbConnection();

        bool acquired;
        string? previous = null;
        await using (var command = connection.CreateCommand())
        {
            // One statement: the row is created, or taken over only when it is ours or expired; SQLite runs it under
            // the database's write lock, so of two instances at the same moment exactly one gets a row back.
            command.CommandText =
                "INSERT INTO Leases (Name, Owner, PreviousOwner, AcquiredAt, HeartbeatAt, ExpiresAt) " +
                "VALUES ($name, $owner, NULL, $now, $now, $expires) " +
                "ON CONFLICT (Name) DO UPDATE SET " +
                "PreviousOwner = Leases.Owner, " +
                "AcquiredAt = CASE WHEN Leases.Owner = excluded.Owner THEN Leases.AcquiredAt ELSE excluded.AcquiredAt END, " +
                "Owner = excluded.Owner, HeartbeatAt = excluded.HeartbeatAt, ExpiresAt = excluded.ExpiresAt " +
                "WHERE Leases.Owner = excluded.Owner OR Leases.ExpiresAt <= excluded.HeartbeatAt " +
                "RETURNING PreviousOwner";
            Add(command, "$name", name);
            Add(command, "$owner", OwnerId);
            Add(command, "$now", now.UtcTicks);
            Add(command, "$expires", expires.UtcTicks);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            acquired = await reader.ReadAsync(cancellationToken);
            if (acquired && !await reader.IsDBNullAsync(0, cancellationToken))
            {
                previous = reader.GetString(0);
            }
        }

        if (acquired)
        {
            var lease = new Lease(name, OwnerId, previous, expires);
            if (!_held.TryAdd(name, lease))
            {
                // Taken by another caller of this instance meanwhile: the work is under way here.
                return new LeaseAttempt(null, OwnerId, _held.TryGetValue(name, out var other) ? other.ExpiresAt : expires);
            }
            if (lease.ChangedHands)
            {
                LogTakenOver(logger, name, previous!);
            }
            return new LeaseAttempt(lease, null, null);
        }

        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT Owner, ExpiresAt FROM Leases WHERE Name = $name";
            Add(command, "$name", name);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            return await reader.ReadAsync(cancellationToken)
                ? new LeaseAttempt(null, reader.GetString(0), new DateTimeOffset(reader.GetInt64(1), TimeSpan.Zero))
                : new LeaseAttempt(null, null, null);
        }
    }

    /// <summary>
    /// For work that stays with one instance while it lives (the tag poll, the campaign sync): true when this instance
    /// holds the lease, taking it when it is free. Once taken it is renewed in the background until shutdown.
    /// </summary>
    public async Task<bool> HoldAsync(string name, CancellationToken cancellationToken)
    {
        if (_held.TryGetValue(name, out var mine) && !mine.IsLost)
        {
            return true;
        }
        if (mine is not null)
        {
            _held.TryRemove(new KeyValuePair<string, Lease>(name, mine));
        }
        return (await TryAcquireAsync(name, cancellationToken)).Acquired;
    }

    /// <summary>The lease <paramref name="name"/> if this instance holds it (or held it and has not released it since it was lost).</summary>
    public Lease? Held(string name) => _held.TryGetValue(name, out var lease) ? lease : null;

    /// <summary>
    /// Renews every lease this instance holds, for another <see cref="LeaseOptions.Duration"/>. A lease whose row now
    /// names another owner is marked lost (its <see cref="Lease.Lost"/> fires). A database error leaves the lease as it
    /// is: the next renewal tries again, and the fence still refuses writes once another instance took it.
    /// </summary>
    public async Task RenewAllAsync(CancellationToken cancellationToken)
    {
        foreach (var lease in _held.Values.Where(l => !l.IsLost))
        {
            try
            {
                var expires = time.GetUtcNow() + options.CurrentValue.Duration;
                var rows = await ExecuteAsync(
                    "UPDATE Leases SET HeartbeatAt = $now, ExpiresAt = $expires WHERE Name = $name AND Owner = $owner AND ExpiresAt > $released",
                    lease.Name, expires, cancellationToken);
                if (rows == 0)
                {
                    lease.MarkLost();
                    LogLost(logger, lease.Name);
                }
                else
                {
                    lease.ExpiresAt = expires;
                }
            }
            catch (Exception ex) when (DatabaseFault.Describe(ex) is { } cause)
            {
                LogRenewFailed(logger, lease.Name, cause, lease.ExpiresAt);
            }
        }
    }

    /// <summary>
    /// Gives the lease back so another instance may take it at once; <paramref name="forget"/> deletes its row (the
    /// work is finished for good, e.g. a run that ended). A lost lease is only forgotten here: its row is the new holder's.
    /// </summary>
    public async Task ReleaseAsync(Lease lease, bool forget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        if (!_held.TryRemove(new KeyValuePair<string, Lease>(lease.Name, lease)) || lease.IsLost)
        {
            return;
        }
        try
        {
            await ExecuteAsync(
                forget
                    ? "DELETE FROM Leases WHERE Name = $name AND Owner = $owner"
                    : "UPDATE Leases SET ExpiresAt = $released, HeartbeatAt = $now WHERE Name = $name AND Owner = $owner",
                lease.Name, time.GetUtcNow(), cancellationToken);
        }
        catch (Exception ex) when (DatabaseFault.Describe(ex) is { } cause)
        {
            // It expires by itself; another instance waits one lease duration longer.
            LogReleaseFailed(logger, lease.Name, cause);
        }
    }

    /// <summary>Releases every lease this instance holds (at shutdown, so another instance takes the work over at once).</summary>
    public async Task ReleaseAllAsync(CancellationToken cancellationToken)
    {
        foreach (var lease in _held.Values.ToList())
        {
            await ReleaseAsync(lease, forget: false, cancellationToken);
        }
    }

    /// <summary>
    /// The fence of a write guarded by the lease <paramref name="name"/>: when this instance holds (or held) that lease,
    /// throws <see cref="LeaseLostException"/> unless its row still names this instance. Run it in the write's transaction
    /// (SQLite's write lock is taken when the transaction begins), so no other instance can take the lease between the
    /// check and the write. Does nothing when this instance does not do the guarded work (e.g. a marketer's cancel from
    /// another instance: the holder sees it at its next write).
    /// </summary>
    public async Task EnsureHeldAsync(DbConnection connection, DbTransaction? transaction, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (!_held.TryGetValue(name, out var lease))
        {
            return;
        }
        if (lease.IsLost)
        {
            throw new LeaseLostException(name);
        }
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT COUNT(*) FROM Leases WHERE Name = $name AND Owner = $owner AND ExpiresAt > $released";
        Add(command, "$name", name);
        Add(command, "$owner", OwnerId);
        Add(command, "$released", _released);
        if (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            lease.MarkLost();
            LogLost(logger, name);
            throw new LeaseLostException(name);
        }
    }

    /// <summary><see cref="EnsureHeldAsync(DbConnection, DbTransaction?, string, CancellationToken)"/> on the context's connection and transaction.</summary>
    public async Task EnsureHeldAsync(ReflyDbContext db, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!_held.ContainsKey(name))
        {
            return;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        await EnsureHeldAsync(db.Database.GetDbConnection(), db.Database.CurrentTransaction?.GetDbTransaction(), name, cancellationToken);
    }

    /// <summary>
    /// Begins a transaction on <paramref name="db"/> and fences it (see <see cref="EnsureHeldAsync(ReflyDbContext, string, CancellationToken)"/>)
    /// when this instance holds the lease <paramref name="name"/>; null (no transaction needed) when it does not.
    /// </summary>
    public async Task<IDbContextTransaction?> BeginFencedAsync(ReflyDbContext db, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (!_held.ContainsKey(name))
        {
            return null;
        }
        var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            await EnsureHeldAsync(db, name, cancellationToken);
            return transaction;
        }
        catch (Exception)
        {
            await transaction.DisposeAsync();
            throw;
        }
    }

    private async Task<int> ExecuteAsync(string sql, string name, DateTimeOffset expires, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        Add(command, "$name", name);
        Add(command, "$owner", OwnerId);
        Add(command, "$now", time.GetUtcNow().UtcTicks);
        Add(command, "$expires", expires.UtcTicks);
        Add(command, "$released", _released);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} taken over from instance {PreviousOwner} (it expired or was released)")]
    private static partial void LogTakenOver(ILogger logger, string lease, string previousOwner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} is held by another instance now; this instance stops the work it guards")]
    private static partial void LogLost(ILogger logger, string lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} could not be renewed ({Cause}); it holds until {ExpiresAt:u}, the next renewal tries again")]
    private static partial void LogRenewFailed(ILogger logger, string lease, string cause, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease {Lease} could not be released ({Cause}); it expires by itself")]
    private static partial void LogReleaseFailed(ILogger logger, string lease, string cause);
}
