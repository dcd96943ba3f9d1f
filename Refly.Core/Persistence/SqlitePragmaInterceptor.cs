using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Refly.Core.Persistence;

/// <summary>
/// Per-connection SQLite settings. With WAL, synchronous=NORMAL is SQLite's recommended setting: a commit is durable
/// once the WAL is synced at checkpoints, and the database stays consistent across a crash or kill -9 (only a power
/// loss can drop the last commits, which the run checkpoints tolerate: they are re-done on resume). It turns each
/// commit from an fsync into a memory write, which the per-batch checkpoints of a run need.
/// busy_timeout lets a second writer wait for the first instead of failing with SQLITE_BUSY; it follows the connection
/// string's <c>Default Timeout</c> (seconds, 30 unless set), the same bound Microsoft.Data.Sqlite puts on each command,
/// so one setting says how long Refly waits for a database held by another process before reporting it locked.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    // Every open of a pooled connection runs here: the connection string is parsed once, not on each open.
    private readonly ConcurrentDictionary<string, string> _pragmas = new(StringComparer.Ordinal);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas.GetOrAdd(connection.ConnectionString, PragmasFor);
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas.GetOrAdd(connection.ConnectionString, PragmasFor);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string PragmasFor(string connectionString)
    {
        var seconds = new SqliteConnectionStringBuilder(connectionString).DefaultTimeout;
        // 0 means "no timeout" to Microsoft.Data.Sqlite: wait as long as SQLite can.
        var milliseconds = seconds > 0 ? Math.Min(seconds * 1000L, int.MaxValue) : int.MaxValue;
        return string.Create(CultureInfo.InvariantCulture, $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={milliseconds};");
    }
}
