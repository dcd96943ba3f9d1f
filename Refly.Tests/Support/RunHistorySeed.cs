using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;
using Refly.Core.Personalization;

namespace Refly.Tests.Support;

/// <summary>Finished runs written straight to the database: a campaign's history without running the pipeline.</summary>
public static class RunHistorySeed
{
    public static async Task<PersonalizationRun> AddFinishedRunAsync(
        IServiceProvider services, string campaignId, RunState state, RunTrigger trigger, string startedBy, long total, long written,
        DateTimeOffset startedAt, TimeSpan took)
    {
        var factory = (IDbContextFactory<ReflyDbContext>)services.GetService(typeof(IDbContextFactory<ReflyDbContext>))!;
        await using var db = await factory.CreateDbContextAsync();
        var campaign = await db.Campaigns.AsNoTracking().SingleAsync(c => c.KlaviyoId == campaignId);
        var run = new PersonalizationRun
        {
            Id = Guid.NewGuid(),
            CampaignId = campaign.Id,
            CampaignKlaviyoId = campaignId,
            MessageIds = ["M1"],
            Trigger = trigger,
            StartedBy = startedBy,
            State = state,
            TotalEstimate = total,
            Processed = written,
            Written = written,
            CreatedAt = startedAt,
            StartedAt = startedAt,
            FinishedAt = startedAt + took,
            CleanedUp = state != RunState.Completed,
        };
        db.Runs.Add(run);
        await db.SaveChangesAsync();
        return run;
    }
}
