using Microsoft.EntityFrameworkCore;
using Refly.Core.Impact;
using Refly.Core.Impact.Reporting;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Support;

/// <summary>Sent campaigns with report numbers written straight to the database: results without asking Klaviyo.</summary>
public static class ImpactSeed
{
    /// <summary>A Sent A/B campaign in the sandbox (two variations), sent <paramref name="sentAgo"/> ago; sync it afterwards.</summary>
    public static SandboxCampaign AddSentAb(SandboxStore store, string name, TimeSpan sentAgo)
    {
        var list = store.AddList(name + " audience", 4);
        var campaign = store.AddCampaign(name, CampaignStatuses.Draft, null,
            [new MessageSeed("Variation A", "Subject A", "Preview", "<p>A</p>"), new MessageSeed("Variation B", "Subject B", "Preview", "<p>B</p>")],
            [list.Id]);
        store.SetCampaignStatus(campaign.Id, CampaignStatuses.Sent, DateTimeOffset.UtcNow - sentAgo);
        return store.GetCampaign(campaign.Id)!;
    }

    /// <summary>Stores one report row per message with these numbers.</summary>
    public static async Task AddReportAsync(IServiceProvider services, string campaignId, params (string MessageId, ImpactRates Rates)[] rows)
    {
        var factory = (IDbContextFactory<ReflyDbContext>)services.GetService(typeof(IDbContextFactory<ReflyDbContext>))!;
        await using var db = await factory.CreateDbContextAsync();
        foreach (var (messageId, rates) in rows)
        {
            db.CampaignReportRows.Add(new CampaignReportRow
            {
                CampaignKlaviyoId = campaignId,
                MessageKlaviyoId = messageId,
                Recipients = rates.Recipients,
                Delivered = rates.Recipients,
                UniqueOpens = rates.Opens,
                UniqueClicks = rates.Clicks,
                UniqueConversions = rates.Conversions,
                ConversionValue = rates.Revenue,
                ConversionMetricId = SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id,
                FetchedAt = DateTimeOffset.UtcNow.AddMinutes(-10),
            });
        }
        await db.SaveChangesAsync();
    }

    /// <summary>A Completed run of the campaign that personalized <paramref name="messageIds"/>.</summary>
    public static async Task AddCompletedRunAsync(IServiceProvider services, string campaignId, params string[] messageIds)
    {
        var factory = (IDbContextFactory<ReflyDbContext>)services.GetService(typeof(IDbContextFactory<ReflyDbContext>))!;
        await using var db = await factory.CreateDbContextAsync();
        var campaign = await db.Campaigns.AsNoTracking().SingleAsync(c => c.KlaviyoId == campaignId);
        var at = DateTimeOffset.UtcNow.AddHours(-6);
        db.Runs.Add(new PersonalizationRun
        {
            Id = Guid.NewGuid(),
            CampaignId = campaign.Id,
            CampaignKlaviyoId = campaignId,
            MessageIds = [.. messageIds],
            Trigger = RunTrigger.Manual,
            StartedBy = "a marketer",
            State = RunState.Completed,
            TotalEstimate = 4,
            Processed = 4,
            Written = 4,
            CreatedAt = at,
            StartedAt = at,
            FinishedAt = at.AddMinutes(2),
            ContentSwitched = true,
        });
        await db.SaveChangesAsync();
    }
}
