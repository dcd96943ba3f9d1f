using System.Text.Json;
using Microsoft.Data.Sqlite;
using Refly.Core.Persistence;

namespace Refly.Dashboard.Hosting.Backup;

/// <summary>What a backup folder holds, written as <c>backup.json</c> beside the database copy.</summary>
/// <param name="CreatedAt">When the backup was taken (UTC).</param>
/// <param name="LatestMigration">The newest EF Core migration applied to the backed-up database.</param>
/// <param name="AppVersion">Version of the app that took it.</param>
/// <param name="KeyFiles">Data Protection key files copied.</param>
public sealed record BackupManifest(DateTimeOffset CreatedAt, string? LatestMigration, string AppVersion, int KeyFiles);

/// <summary>A backup or restore that cannot be done (bad folder, missing files); the message says what to fix.</summary>
public sealed class BackupException(string message) : Exception(message);

/// <summary>
/// Backs up and restores the app's state: the SQLite database, through SQLite's online backup API (a consistent copy
/// while the app keeps running and writing, unlike a file copy, which can tear a page or miss the WAL), and the Data
/// Protection key ring, without which secrets encrypted by the app cannot be read back.
/// </summary>
public sealed class ReflyBackup(DataFolders folders, TimeProvider time)
{
    public const string DatabaseFileName = "refly.db";
    public const string KeysFolderName = "keys";
    public const string ManifestFileName = "backup.json";

    private static readonly JsonSerializerOptions _json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Writes a backup into <paramref name="destination"/>, which must be missing or empty.</summary>
    public async Task<BackupManifest> BackupAsync(string destination, CancellationToken cancellationToken)
    {
        destination = Path.GetFullPath(destination);
        if (Directory.Exists(destination) && Directory.EnumerateFileSystemEntries(destination).Any())
        {
            throw new BackupException($"{destination} is not empty; back up into a new folder.");
        }
        if (!File.Exists(folders.DatabaseFile))
        {
            throw new BackupException($"No database at {folders.DatabaseFile}; check ConnectionStrings:Refly.");
        }
        PrivateFiles.CreateFolder(destination);

        var copy = Path.Combine(destination, DatabaseFileName);
        PrivateFiles.PrepareDatabaseFile(copy);
        await using (var source = await OpenAsync(folders.ConnectionString, cancellationToken))
        await using (var target = await OpenAsync(FileConnectionString(copy), cancellationToken))
        {
            source.BackupDatabase(target);
            // A backup is one self-contained file: no -wal beside it.
            await ExecuteAsync(target, "PRAGMA journal_mode=DELETE;", cancellationToken);
        }
        var latest = await LatestMigrationAsync(copy, cancellationToken);

        var keyFiles = CopyKeys(folders.KeysFolder, Path.Combine(destination, KeysFolderName));
        var manifest = new BackupManifest(time.GetUtcNow(), latest, AppVersion, keyFiles);
        await File.WriteAllTextAsync(Path.Combine(destination, ManifestFileName), JsonSerializer.Serialize(manifest, _json), cancellationToken);
        SqliteConnection.ClearAllPools();
        return manifest;
    }

    /// <summary>
    /// Restores the backup in <paramref name="source"/> over the configured database and key ring. Run it while the
    /// app is stopped; the next start applies any migration the backup predates.
    /// </summary>
    public async Task<BackupManifest> RestoreAsync(string source, CancellationToken cancellationToken)
    {
        source = Path.GetFullPath(source);
        var manifestFile = Path.Combine(source, ManifestFileName);
        var backupFile = Path.Combine(source, DatabaseFileName);
        if (!File.Exists(manifestFile) || !File.Exists(backupFile))
        {
            throw new BackupException($"{source} is not a Refly backup (expected {ManifestFileName} and {DatabaseFileName}).");
        }
        var manifest = JsonSerializer.Deserialize<BackupManifest>(await File.ReadAllTextAsync(manifestFile, cancellationToken), _json)
            ?? throw new BackupException($"{manifestFile} is empty.");

        await using (var backup = await OpenAsync(FileConnectionString(backupFile, readOnly: true), cancellationToken))
        {
            var check = await ScalarAsync(backup, "PRAGMA integrity_check;", cancellationToken);
            if (!string.Equals(check, "ok", StringComparison.OrdinalIgnoreCase))
            {
                throw new BackupException($"The backup's database is damaged: {check}");
            }
            PrivateFiles.CreateFolder(Path.GetDirectoryName(folders.DatabaseFile)!);
            PrivateFiles.PrepareDatabaseFile(folders.DatabaseFile);
            // The backup API again, into the configured file: it replaces every page and keeps the target's WAL consistent.
            await using var target = await OpenAsync(folders.ConnectionString, cancellationToken);
            backup.BackupDatabase(target);
        }

        CopyKeys(Path.Combine(source, KeysFolderName), folders.KeysFolder);
        SqliteConnection.ClearAllPools();
        return manifest;
    }

    private static string AppVersion => typeof(ReflyBackup).Assembly.GetName().Version?.ToString() ?? "unknown";

    private static string FileConnectionString(string file, bool readOnly = false) => new SqliteConnectionStringBuilder
    {
        DataSource = file,
        Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
        Pooling = false,
    }.ToString();

    private static async Task<SqliteConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        // No pooling: the files must be closed when the command ends (the restored app opens them next).
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = false };
        var connection = new SqliteConnection(builder.ToString());
        await connection.OpenAsync(cancellationToken);
        // The app writes concurrently; wait for its short write locks instead of failing with SQLITE_BUSY.
        await ExecuteAsync(connection, "PRAGMA busy_timeout=10000;", cancellationToken);
        return connection;
    }

    private static async Task<string?> LatestMigrationAsync(string databaseFile, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(FileConnectionString(databaseFile, readOnly: true), cancellationToken);
        var hasHistory = await ScalarAsync(connection, "SELECT name FROM sqlite_master WHERE type='table' AND name='__EFMigrationsHistory';", cancellationToken);
        return hasHistory is null
            ? null
            : await ScalarAsync(connection, "SELECT MigrationId FROM __EFMigrationsHistory ORDER BY MigrationId DESC LIMIT 1;", cancellationToken);
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync(cancellationToken))?.ToString();
    }

    private static int CopyKeys(string from, string to)
    {
        if (!Directory.Exists(from))
        {
            return 0;
        }
        PrivateFiles.CreateFolder(to);
        var count = 0;
        foreach (var file in Directory.EnumerateFiles(from, "*.xml"))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
            count++;
        }
        return count;
    }
}
