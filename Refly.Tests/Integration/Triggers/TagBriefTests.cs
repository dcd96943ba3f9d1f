using Refly.Core.Personalization;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using static Refly.Tests.Integration.Triggers.TagTriggerFixture;

namespace Refly.Tests.Integration.Triggers;

/// <summary>The tag flow writes with the campaign's saved brief.</summary>
public sealed class TagBriefTests
{
    [Fact]
    public async Task Poll_TaggedCampaignWithASavedBrief_StartsARunWithThatBrief()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);
        var brief = new CampaignBrief(Goal: "Early access for Gold members", Tone: "formal", AvoidWords: ["cheap"], AllowedFacts: [BriefFact.LoyaltyTier]);
        await host.Get<CampaignBriefStore>().SaveAsync(campaign.Id, brief, "marketer", default);

        await PollAsync(host);

        var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal(RunTrigger.Tag, run.Trigger);
        Assert.Equal(brief.Hash(), run.Brief?.Hash());
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);
    }

    [Fact]
    public async Task Poll_TaggedCampaignWithoutABrief_UsesTheDefault()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);

        await PollAsync(host);

        var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Null(run.Brief);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);
    }
}
