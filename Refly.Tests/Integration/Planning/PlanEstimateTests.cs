using Microsoft.EntityFrameworkCore;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.ModelSandbox;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Planning;

/// <summary>What the modal estimates per personalizer, against what a run then does (model stand-in over real HTTP).</summary>
public sealed class PlanEstimateTests
{
    [Fact]
    public async Task LlmEstimate_DiffersFromTheRuleBasedOne_AndMatchesTheRunWithinAFactorOfTwo()
    {
        // The A100-like profile at 4x: the model, not the sandbox's Klaviyo, bounds an LLM run of 350 contacts.
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { Profile = ModelProfile.A100.Name, TimeScale = 4 });
        await using var host = await CoreTestHost.StartAsync(settings: HybridRunTests.Settings(model));
        // A first run measures the model's rates (the cautious default is a small box, far slower than this).
        var first = RunScenario.Create(host.Store);
        var calibration = await HybridRunTests.StartAsync(host, first, PersonalizerNames.Llm);
        await RunScenario.WaitForStateAsync(host, calibration.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        var second = RunScenario.Create(host.Store);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var plan = await host.Get<PersonalizationPlanner>().PlanAsync(await CampaignAsync(host, second.Campaign.Id), CancellationToken.None);
        var choices = Assert.IsType<PlanChoices>(plan.Choices);
        var llm = choices.For(PersonalizerNames.Llm)!;
        var rule = choices.For(PersonalizerNames.RuleBased)!;
        var run = await HybridRunTests.StartAsync(host, second, PersonalizerNames.Llm);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        Assert.True(llm.RatesMeasured);
        Assert.Equal(0, rule.ModelCalls);
        Assert.True(llm.ModelCalls > 0 && llm.OutputTokens > 0);
        Assert.True(llm.Duration > rule.Duration * 2, $"llm {llm.Duration} vs rule-based {rule.Duration}");
        // No send time on a Draft: the model covers everyone, so the model is the plan offered first.
        Assert.Equal(PersonalizerNames.Llm, choices.DefaultPersonalizer);
        var actual = done.FinishedAt!.Value - done.StartedAt!.Value;
        var ratio = llm.Duration / actual;
        Assert.True(ratio is >= 0.5 and <= 2, $"estimated {llm.Duration}, the run took {actual}");
        var stats = (await host.Get<RunPersonalizationStatsStore>().GetAsync(run.Id, default))!;
        var calls = (double)llm.ModelCalls / stats.ModelCalls;
        Assert.True(calls is >= 0.5 and <= 2, $"estimated {llm.ModelCalls} calls, the run made {stats.ModelCalls}");
    }

    private static async Task<Campaign> CampaignAsync(CoreTestHost host, string klaviyoId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.Campaigns.AsNoTracking().Include(c => c.Messages).FirstAsync(c => c.KlaviyoId == klaviyoId);
    }
}
