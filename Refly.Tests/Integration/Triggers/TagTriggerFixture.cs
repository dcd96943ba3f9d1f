using Microsoft.EntityFrameworkCore;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.Core.Triggers;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Triggers;

/// <summary>Shared steps of the tag trigger tests.</summary>
internal static class TagTriggerFixture
{
    public const string Tag = TriggerOptions.DefaultTagName;

    /// <summary>A Scheduled campaign two days out with a small real audience (see <see cref="RunScenario"/>).</summary>
    public static SandboxCampaign Scheduled(CoreTestHost host, bool tagged, int messages = 1, string status = CampaignStatuses.Scheduled, DateTimeOffset? sendTime = null)
    {
        var campaign = RunScenario.Create(host.Store, status, sendTime, messages).Campaign;
        if (tagged)
        {
            host.Store.AddCampaignTag(campaign.Id, Tag);
        }
        return campaign;
    }

    public static Task<CampaignSyncResult> SyncAsync(CoreTestHost host) => host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

    public static Task<TagPollResult> PollAsync(CoreTestHost host) => host.Get<TagPoller>().PollAsync(CancellationToken.None);

    public static async Task<List<PersonalizationRun>> RunsOfAsync(CoreTestHost host, string campaignId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return (await db.Runs.AsNoTracking().Where(r => r.CampaignKlaviyoId == campaignId).ToListAsync()).OrderBy(r => r.CreatedAt).ToList();
    }

    public static async Task SetLocalSendTimeAsync(CoreTestHost host, string campaignId, DateTimeOffset sendTime)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        var campaign = await db.Campaigns.FirstAsync(c => c.KlaviyoId == campaignId);
        campaign.SendTime = sendTime;
        await db.SaveChangesAsync();
    }

    public static async Task<TagTriggerState?> StateOfAsync(CoreTestHost host, string campaignId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.TagTriggerStates.AsNoTracking().FirstOrDefaultAsync(s => s.CampaignKlaviyoId == campaignId);
    }
}
