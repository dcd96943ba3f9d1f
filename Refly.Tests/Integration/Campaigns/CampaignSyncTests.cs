using Microsoft.EntityFrameworkCore;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Campaigns;

public sealed class CampaignSyncTests
{
    [Fact]
    public async Task Sync_AgainstDemoSandbox_FillsTheDatabaseWithEveryEmailCampaign()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Seed = SandboxSeeds.DemoWith(1_000), startScheduler: false);

        var result = await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var expected = host.Store.GetCampaigns();
        Assert.Equal(expected.Count, result.Added);
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        var campaigns = await db.Campaigns.Include(c => c.Messages).ToListAsync();
        Assert.Equal(expected.Select(c => c.Id).Order(), campaigns.Select(c => c.KlaviyoId).Order());
        foreach (var source in expected)
        {
            var synced = campaigns.Single(c => c.KlaviyoId == source.Id);
            Assert.Equal(source.Name, synced.Name);
            Assert.Equal(source.Status, synced.RawStatus);
            Assert.Equal(CampaignStatusMapper.Map(source.Status), synced.Status);
            Assert.Equal(source.Messages.Select(m => m.Id).Order(), synced.Messages.Select(m => m.KlaviyoId).Order());
            Assert.Equal(source.Messages.Select(m => m.Subject).Order(), synced.Messages.Select(m => m.Subject).Order());
        }
        var ab = campaigns.Single(c => c.Name.StartsWith("Black Friday", StringComparison.Ordinal));
        Assert.True(ab.IsAbTest);
        Assert.Contains(SandboxSeeds.PersonalizeTag, ab.Tags);
        Assert.Contains(campaigns, c => c.Status == CampaignStatus.Sending);
        Assert.Contains(campaigns, c => c.Status == CampaignStatus.Sent);
        Assert.Contains(campaigns, c => c.Status == CampaignStatus.Cancelled);
        Assert.Contains(campaigns, c => c.Status == CampaignStatus.Draft);
    }

    [Fact]
    public async Task Sync_SecondTimeWithNoChange_IsANoOp()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Seed = SandboxSeeds.DemoWith(1_000), startScheduler: false);
        var sync = host.Get<CampaignSyncService>();
        await sync.SyncAsync(CancellationToken.None);

        var second = await sync.SyncAsync(CancellationToken.None);

        Assert.Equal(0, second.Changed);
        Assert.Equal(host.Store.GetCampaigns().Count, second.Unchanged);
    }

    [Fact]
    public async Task Sync_AfterStatusChangeInKlaviyo_ShowsTheNewStatus()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Seed = SandboxSeeds.DemoWith(1_000), startScheduler: false);
        var sync = host.Get<CampaignSyncService>();
        await sync.SyncAsync(CancellationToken.None);
        var scheduled = host.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Scheduled);

        host.Store.SetCampaignStatus(scheduled.Id, CampaignStatuses.Sent);
        var result = await sync.SyncAsync(CancellationToken.None);

        Assert.Equal(1, result.Updated);
        var synced = await host.Get<CampaignQueryService>().FindAsync(scheduled.Id, CancellationToken.None);
        Assert.Equal(CampaignStatus.Sent, synced!.Status);
    }

    [Fact]
    public async Task Sync_CampaignDeletedInKlaviyo_IsMarkedRemovedNotDropped()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Seed = SandboxSeeds.DemoWith(1_000), startScheduler: false);
        var sync = host.Get<CampaignSyncService>();
        await sync.SyncAsync(CancellationToken.None);
        var victim = host.Store.GetCampaigns()[0];

        host.Store.DeleteCampaign(victim.Id);
        var result = await sync.SyncAsync(CancellationToken.None);

        Assert.Equal(1, result.Removed);
        var kept = await host.Get<CampaignQueryService>().FindAsync(victim.Id, CancellationToken.None);
        Assert.NotNull(kept!.RemovedFromKlaviyoAt);
        var listed = await host.Get<CampaignQueryService>().QueryAsync(new CampaignQuery(Take: 500), CancellationToken.None);
        Assert.DoesNotContain(listed.Items, c => c.KlaviyoId == victim.Id);
    }

    [Fact]
    public async Task Sync_ManyCampaignsOverSeveralPages_GetsThemAll()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Seed = store =>
        {
            for (var i = 0; i < 230; i++)
            {
                store.AddCampaign($"Campaign {i:000}", CampaignStatuses.Draft);
            }
        }, startScheduler: false);

        var result = await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        Assert.Equal(230, result.Added);
        Assert.True(host.Store.Counters.RequestsFor("get_campaigns") >= 3, "230 campaigns need at least three pages of 100");
    }

    [Fact]
    public async Task Migrations_OnAnEmptyFile_CreateTheSchema()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotEmpty(await db.Database.GetAppliedMigrationsAsync());
        Assert.True(File.Exists(Path.Combine(host.DataFolder, "refly.db")));
    }
}
