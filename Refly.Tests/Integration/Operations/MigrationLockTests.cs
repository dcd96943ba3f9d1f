using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.Core.Persistence;

namespace Refly.Tests.Integration.Operations;

/// <summary>
/// A kill -9 while EF Core held its SQLite migration lock left a row in <c>__EFMigrationsLock</c>, and the next start
/// waited on it forever. These start the app's migrators on databases in that state.
/// </summary>
public sealed class MigrationLockTests : IDisposable
{
    // Far longer than a migration takes here; a migrator waiting on the lock row never ends without it.
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private readonly string _folder = Directory.CreateTempSubdirectory("refly-migration-lock-").FullName;

    private string DatabaseFile => Path.Combine(_folder, "refly.db");

    private string ConnectionString => $"Data Source={DatabaseFile}";

    [Fact]
    public async Task Start_AfterAKillDuringAStartWithNothingPending_DoesNotWaitForTheLeftLock()
    {
        await MigrateAsAppAsync(CancellationToken.None);
        await LeaveLockRowAsync();

        using var hang = new CancellationTokenSource(Hang);
        await MigrateAsAppAsync(hang.Token);

        await using var db = NewContext();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [Fact]
    public async Task Start_WithPendingMigrationsAndALockLeftByAKilledProcess_ClearsItAndMigrates()
    {
        await using (var old = NewContext())
        {
            await old.GetService<IMigrator>().MigrateAsync(old.Database.GetMigrations().First());
        }
        await LeaveLockRowAsync();

        using var hang = new CancellationTokenSource(Hang);
        await MigrateAsAppAsync(hang.Token);

        await using var db = NewContext();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(0L, await ScalarAsync($"SELECT COUNT(*) FROM \"{MigrationGate.EfLockTable}\""));
    }

    [Fact]
    public async Task TwoProcessesStartingOnANewDatabase_BothFinishAndEveryMigrationIsAppliedOnce()
    {
        using var hang = new CancellationTokenSource(Hang * 2);
        await Task.WhenAll(Task.Run(() => MigrateAsAppAsync(hang.Token)), Task.Run(() => MigrateAsAppAsync(hang.Token)));

        await using var db = NewContext();
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    /// <summary>The database and accounts migrators, composed as the app composes them, each with its own container.</summary>
    private async Task MigrateAsAppAsync(CancellationToken cancellationToken)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Refly"] = ConnectionString })
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddPersistence(configuration)
            .AddAccounts(configuration);
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
        await provider.GetRequiredService<AccountsMigrator>().MigrateAsync(cancellationToken);
    }

    /// <summary>What EF Core's SQLite lock leaves when its holder is killed: the table and its one row.</summary>
    private async Task LeaveLockRowAsync()
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            CREATE TABLE IF NOT EXISTS "{MigrationGate.EfLockTable}" ("Id" INTEGER NOT NULL CONSTRAINT "PK___EFMigrationsLock" PRIMARY KEY, "Timestamp" TEXT NOT NULL);
            INSERT OR IGNORE INTO "{MigrationGate.EfLockTable}" ("Id", "Timestamp") VALUES (1, '2026-12-01 10:00:00+00:00');
            """;
        await command.ExecuteNonQueryAsync();
    }

    private async Task<long> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private ReflyDbContext NewContext() => new(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite(ConnectionString).Options);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
