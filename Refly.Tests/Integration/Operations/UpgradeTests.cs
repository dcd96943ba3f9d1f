using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;

namespace Refly.Tests.Integration.Operations;

public sealed class UpgradeTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("refly-upgrade-").FullName;

    private string ConnectionString => $"Data Source={Path.Combine(_folder, "refly.db")}";

    [Fact]
    public async Task Migrator_OnADatabaseOfTheFirstMigration_AppliesEveryLaterMigrationAndKeepsTheData()
    {
        string first;
        await using (var old = NewContext())
        {
            var all = old.Database.GetMigrations().ToList();
            Assert.True(all.Count >= 2, "needs at least two migrations to test an upgrade");
            first = all[0];
            await old.GetService<IMigrator>().MigrateAsync(first);
            Assert.Equal([first], await old.Database.GetAppliedMigrationsAsync());

            // Rows as the first release wrote them: raw SQL against its schema, not today's model.
            await old.Database.ExecuteSqlRawAsync("""
                INSERT INTO Campaigns (Id, KlaviyoId, Name, RawStatus, Status, SendTime, SendStrategyMethod, Archived,
                    IncludedAudienceIds, ExcludedAudienceIds, Tags, KlaviyoUpdatedAt, LastSyncedAt, RemovedFromKlaviyoAt)
                VALUES (1, '01OLDCAMPAIGN', 'Spring sale', 'Scheduled', 'Scheduled', 639000000000000000, 'static', 0,
                    '["LIST1","SEG2"]', '["LIST9"]', '["Refly: Personalize"]', 638990000000000000, 638995000000000000, NULL);
                INSERT INTO CampaignMessages (Id, CampaignId, KlaviyoId, Channel, Label, Subject, PreviewText, TemplateId)
                VALUES (1, 1, '01OLDMESSAGE', 'email', 'Variation A', 'Hello spring', 'Fresh deals', 'TPL1');
                """);
        }
        SqliteConnection.ClearAllPools();

        // The app's own migrator, composed as the app composes it.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Refly"] = ConnectionString })
            .Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddPersistence(configuration);
        await using (var provider = services.BuildServiceProvider())
        {
            await provider.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        }

        await using var db = NewContext();
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        var campaign = await db.Campaigns.Include(c => c.Messages).SingleAsync();
        Assert.Equal("01OLDCAMPAIGN", campaign.KlaviyoId);
        Assert.Equal("Spring sale", campaign.Name);
        Assert.Equal(CampaignStatus.Scheduled, campaign.Status);
        Assert.Equal(639000000000000000, campaign.SendTime!.Value.UtcTicks);
        Assert.Equal(["LIST1", "SEG2"], campaign.IncludedAudienceIds);
        Assert.Equal(["LIST9"], campaign.ExcludedAudienceIds);
        Assert.Equal(["Refly: Personalize"], campaign.Tags);
        var message = Assert.Single(campaign.Messages);
        Assert.Equal(("01OLDMESSAGE", "Variation A", "Hello spring", "Fresh deals", "TPL1"),
            (message.KlaviyoId, message.Label, message.Subject, message.PreviewText, message.TemplateId));
        // The tables later migrations added are usable.
        Assert.Equal(0, await db.Runs.CountAsync());
    }

    private ReflyDbContext NewContext() => new(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite(ConnectionString).Options);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
