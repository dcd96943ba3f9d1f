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

    [Fact]
    public async Task LlmEstimate_BeforeAnyRun_IsMeasuredByTheSamplesCalls_AndIsCautiousButNearTheRun()
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { Profile = ModelProfile.A100.Name, TimeScale = 4 });
        await using var host = await CoreTestHost.StartAsync(settings: HybridRunTests.Settings(model));
        var scenario = RunScenario.Create(host.Store);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var plan = await host.Get<PersonalizationPlanner>().PlanAsync(await CampaignAsync(host, scenario.Campaign.Id), CancellationToken.None);
        var llm = plan.Choices!.For(PersonalizerNames.Llm)!;
        var run = await HybridRunTests.StartAsync(host, scenario, PersonalizerNames.Llm);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        // No run had measured the model: the samples' own calls did, not the small-box default.
        Assert.Equal(ModelRatesOrigin.Preview, llm.RatesOrigin);
        Assert.NotEmpty(plan.Samples);
        var inputs = new PlanInputs(plan.EstimatedRecipients!.Value, 1, DateTimeOffset.UtcNow, null, host.Get<ExpectedThroughput>().ContactsPerSecond, TimeSpan.Zero);
        var assumed = PlanEstimator.Estimate(PersonalizerNames.Llm, inputs, plan.Choices.Groups, ModelRates.Cautious, null);
        var actual = done.FinishedAt!.Value - done.StartedAt!.Value;
        // The samples measure the model at the few calls they had in flight; the run, with more calls at once and more
        // groups a call, is faster. So the estimate errs on the slow side (a plan that meets the send time; the run's
        // budget switches to what it measures), and it is far nearer the run than the small-box assumption.
        var ratio = llm.Duration / actual;
        var assumedRatio = assumed.Duration / actual;
        // Within the factor of 2 on the fast side (a loaded machine slows the run more than the few sample calls).
        Assert.True(ratio >= 0.5, $"estimated {llm.Duration} from the samples, the run took {actual}");
        Assert.True(Math.Log(ratio) < Math.Log(assumedRatio) / 2, $"estimated {llm.Duration} from the samples, assumed {assumed.Duration}, the run took {actual}");
    }

    private static async Task<Campaign> CampaignAsync(CoreTestHost host, string klaviyoId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.Campaigns.AsNoTracking().Include(c => c.Messages).FirstAsync(c => c.KlaviyoId == klaviyoId);
    }
}
