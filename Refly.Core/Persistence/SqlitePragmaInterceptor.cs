using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Refly.Core.Persistence;

/// <summary>
/// Per-connection SQLite settings. With WAL, synchronous=NORMAL is SQLite's recommended setting: a commit is durable
/// once the WAL is synced at checkpoints, and the database stays consistent across a crash or kill -9 (only a power
/// loss can drop the last commits, which the run checkpoints tolerate: they are re-done on resume). It turns each
/// commit from an fsync into a memory write, which the per-batch checkpoints of a run need.
/// busy_timeout lets a second writer wait for the first instead of failing with SQLITE_BUSY.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
