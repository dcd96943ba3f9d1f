using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.Dashboard.Hosting;
using Refly.Dashboard.Hosting.Backup;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Operations;

public sealed class BackupRestoreTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("refly-backup-").FullName;

    [Fact]
    public async Task Backup_WhileARunIsInProgress_RestoredOnAFreshInstall_ResumesTheRunAndKeepsTheKeyRing()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(120));
        var live = FoldersFor(host.DataFolder);
        // The key ring as the dashboard keeps it; a secret protected with it must survive the restore.
        var secret = Protector(live.KeysFolder).Protect("pk_live_example");
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        // Klaviyo takes the first import job and holds the others until the restore, so the backup catches the run mid-way.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));

        var backupFolder = Path.Combine(_work, "backup");
        var manifest = await new ReflyBackup(live, TimeProvider.System).BackupAsync(backupFolder, CancellationToken.None);

        Assert.Equal(1, manifest.KeyFiles);
        Assert.NotNull(manifest.LatestMigration);
        await using (var copy = Context(Path.Combine(backupFolder, ReflyBackup.DatabaseFileName)))
        {
            var saved = await copy.Runs.AsNoTracking().SingleAsync(r => r.Id == run.Id);
            Assert.Equal(RunState.InProgress, saved.State);
            Assert.InRange(saved.Written, 1, scenario.AudienceIds.Count - 1);
            Assert.Equal(saved.Written, await copy.RunContacts.CountAsync(c => c.RunId == run.Id && c.State == RunContactState.Written));
        }

        // A fresh install: an empty data folder, the backup restored into it, then the app started on it.
        var fresh = Path.Combine(_work, "fresh");
        var restored = FoldersFor(fresh);
        await new ReflyBackup(restored, TimeProvider.System).RestoreAsync(backupFolder, CancellationToken.None);
        await host.RestartAsync(dataFolder: fresh);
        imports.Release();

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was skipped"));
        await using (var db = Context(restored.DatabaseFile))
        {
            Assert.True(await db.Campaigns.AnyAsync(c => c.KlaviyoId == scenario.Campaign.Id));
        }
        Assert.Equal("pk_live_example", Protector(restored.KeysFolder).Unprotect(secret));
    }

    [Fact]
    public async Task Backup_IntoAFolderThatIsNotEmpty_IsRefused()
    {
        var folders = FoldersFor(Path.Combine(_work, "data"));
        await using (var db = Context(folders.DatabaseFile))
        {
            await db.Database.MigrateAsync();
        }
        var target = Directory.CreateDirectory(Path.Combine(_work, "taken")).FullName;
        await File.WriteAllTextAsync(Path.Combine(target, "something"), "x");

        var error = await Assert.ThrowsAsync<BackupException>(() => new ReflyBackup(folders, TimeProvider.System).BackupAsync(target, CancellationToken.None));
        Assert.Contains("not empty", error.Message);
    }

    [Fact]
    public async Task Restore_FromAFolderThatIsNotABackup_IsRefused()
    {
        var folders = FoldersFor(Path.Combine(_work, "data"));
        var error = await Assert.ThrowsAsync<BackupException>(() =>
            new ReflyBackup(folders, TimeProvider.System).RestoreAsync(Directory.CreateDirectory(Path.Combine(_work, "empty")).FullName, CancellationToken.None));
        Assert.Contains("not a Refly backup", error.Message);
        Assert.False(File.Exists(folders.DatabaseFile));
    }

    private static DataFolders FoldersFor(string dataFolder) => DataFolders.From(new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(dataFolder, "refly.db")}" })
        .Build());

    private static IDataProtector Protector(string keysFolder) =>
        DataProtectionProvider.Create(new DirectoryInfo(keysFolder), b => b.SetApplicationName("Refly")).CreateProtector("Refly.Settings");

    private static ReflyDbContext Context(string file) =>
        new(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite($"Data Source={file};Pooling=False").Options);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by the stopped host; the system cleans temp later.
        }
    }
}
