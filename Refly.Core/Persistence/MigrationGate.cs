using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Refly.Core.Persistence;

/// <summary>
/// Runs EF Core's <c>MigrateAsync</c> so that a process killed mid-start never blocks the next start.
/// EF Core (9 and later) guards migrations on SQLite with a row in <c>__EFMigrationsLock</c> that is taken even when
/// nothing is pending and that nothing removes when the holder is killed: the next <c>MigrateAsync</c> then waits
/// forever (a kill -9 during start-up left the app hanging with no output). So: nothing pending, no lock taken; when
/// something is pending, Refly processes on this machine take an OS file lock beside the database first (the kernel
/// releases it when its holder dies), and whoever holds it knows any lock row it finds was left by a dead process.
/// </summary>
public static class MigrationGate
{
    /// <summary>The table EF Core's SQLite provider uses as its migration lock.</summary>
    public const string EfLockTable = "__EFMigrationsLock";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);

    /// <summary>Applies <paramref name="db"/>'s pending migrations; <paramref name="what"/> names them in the log.</summary>
    public static async Task MigrateAsync(DbContext db, string what, ILogger logger, CancellationToken cancellationToken)
    {
        if (!(await db.Database.GetPendingMigrationsAsync(cancellationToken)).Any())
        {
            return;
        }

        await using var gate = await AcquireAsync(LockFileOf(db), logger, cancellationToken);
        // Another process may have applied them while this one waited.
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count == 0)
        {
            return;
        }
        if (gate is not null)
        {
            await ClearStaleEfLockAsync(db, logger, cancellationToken);
        }
        logger.LogInformation("Applying {Count} {What} migration(s): {Migrations}", pending.Count, what, string.Join(", ", pending));
        await db.Database.MigrateAsync(cancellationToken);
    }

    /// <summary>
    /// The lock file beside a file database (left in place: deleting it on release would let two processes lock two
    /// different files of one name); null for an in-memory database (one process by definition).
    /// </summary>
    private static string? LockFileOf(DbContext db)
    {
        var builder = new SqliteConnectionStringBuilder(db.Database.GetConnectionString());
        var source = builder.DataSource;
        if (string.IsNullOrEmpty(source) || source == ":memory:" || builder.Mode == SqliteOpenMode.Memory)
        {
            return null;
        }
        return Path.ChangeExtension(Path.GetFullPath(source), ".migration-lock");
    }

    private static async Task<FileStream?> AcquireAsync(string? lockFile, ILogger logger, CancellationToken cancellationToken)
    {
        if (lockFile is null)
        {
            return null;
        }
        var waiting = false;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive advisory lock (flock) on Unix and a share lock on Windows.
                var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
                if (!OperatingSystem.IsWindows())
                {
                    options.UnixCreateMode = PrivateFiles.FileMode;
                }
                return new FileStream(lockFile, options);
            }
            catch (IOException)
            {
                if (!waiting)
                {
                    logger.LogInformation("Another Refly process is migrating this database; waiting for it to finish");
                    waiting = true;
                }
                await Task.Delay(RetryDelay, cancellationToken);
            }
        }
    }

    private static async Task ClearStaleEfLockAsync(DbContext db, ILogger logger, CancellationToken cancellationToken)
    {
        var connection = db.Database.GetDbConnection();
        var opened = connection.State != System.Data.ConnectionState.Open;
        if (opened)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
        }
        try
        {
            await using var exists = connection.CreateCommand();
            exists.CommandText = $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{EfLockTable}'";
            if (Convert.ToInt64(await exists.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return;
            }
            await using var clear = connection.CreateCommand();
            clear.CommandText = $"DELETE FROM \"{EfLockTable}\"";
            if (await clear.ExecuteNonQueryAsync(cancellationToken) > 0)
            {
                logger.LogWarning("Cleared a migration lock left by a Refly process that stopped while migrating");
            }
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }
}
