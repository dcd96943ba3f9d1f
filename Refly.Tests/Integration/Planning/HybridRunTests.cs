using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.ModelSandbox;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Planning;

/// <summary>
/// Runs with the model over real HTTP to the model stand-in and real Klaviyo sandbox writes: the hybrid plan meets the
/// lock with a slow model, and the run's personalization stats survive a restart.
/// </summary>
public sealed class HybridRunTests
{
    [Fact]
    public async Task Hybrid_SlowModel_CoversTheWholeAudienceBeforeTheLock_TheModelWritingSomeGroups()
    {
        // The small box at 10x: ~410 output tokens/s in all, ~4 groups a second; the audience has ~300 groups, so the
        // model alone would need over a minute while the lock is 25 s away.
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { Profile = ModelProfile.Small.Name, TimeScale = 10 });
        await using var host = await CoreTestHost.StartAsync(settings: Settings(model));
        var sendTime = DateTimeOffset.UtcNow + SendTimeCheck.EditLockWindow + TimeSpan.FromSeconds(25);
        var scenario = RunScenario.Create(host.Store, CampaignStatuses.Scheduled, sendTime);

        var run = await StartAsync(host, scenario, PersonalizerNames.Hybrid);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(90));

        Assert.True(done.FinishedAt <= sendTime - SendTimeCheck.EditLockWindow, $"finished at {done.FinishedAt:O}, after the lock");
        Assert.Null(done.StopReason);
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        var stats = Assert.IsType<RunPersonalizationStats>(await host.Get<RunPersonalizationStatsStore>().GetAsync(run.Id, default));
        Assert.Equal(PersonalizerNames.Hybrid, stats.Personalizer);
        Assert.True(stats.ModelContacts > 0, "the model wrote no contact");
        Assert.True(stats.RuleBasedContacts > 0, "the model covered everyone: the model was not slow enough to prove the hybrid plan");
        Assert.Equal(scenario.AudienceIds.Count, stats.ModelContacts + stats.RuleBasedContacts);
        Assert.Equal(0, stats.OriginalContacts);
        Assert.True(stats.ModelCalls > 0 && stats.OutputTokens > 0 && stats.InputTokens > 0);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, scenario.Campaign.Messages[0].Id), $"{id} has no content"));
    }

    [Fact]
    public async Task Llm_OnADraft_GivesEveryoneModelCopy_AndTheSplitMatchesTheAudience()
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        await using var host = await CoreTestHost.StartAsync(settings: Settings(model));
        var scenario = RunScenario.Create(host.Store);

        var run = await StartAsync(host, scenario, personalizer: null);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        var stats = (await host.Get<RunPersonalizationStatsStore>().GetAsync(run.Id, default))!;
        // The default plan with a model configured and no deadline (a Draft) is the model for everyone.
        Assert.Equal(PersonalizerNames.Llm, stats.Personalizer);
        Assert.Equal(new RunSourceSplit(scenario.AudienceIds.Count, 0, 0), stats.SourceSplit);
        Assert.Equal(model.Counters.Requests, stats.ModelCalls);
        Assert.Equal(model.Counters.CompletionTokens, stats.OutputTokens);
        Assert.True(stats.DistinctGroups > 1 && stats.DistinctGroups < scenario.AudienceIds.Count);
    }

    [Fact]
    public async Task Stats_SurviveAResume_CountingEachContactOnce()
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        await using var host = await CoreTestHost.StartAsync(
            o => o.ImportJobDelay = TimeSpan.FromMilliseconds(600),
            settings: Settings(model));
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var run = await StartAsync(host, scenario, PersonalizerNames.Llm);
        RunPersonalizationStats? before = null;
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
        {
            before = await host.Get<RunPersonalizationStatsStore>().GetAsync(run.Id, default);
            return before is { ModelContacts: > 0 };
        }, TimeSpan.FromSeconds(60)));

        await host.RestartAsync();
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        var after = (await host.Get<RunPersonalizationStatsStore>().GetAsync(run.Id, default))!;
        Assert.True(before!.ModelContacts < scenario.AudienceIds.Count, "the run finished before the restart: the test proves nothing");
        Assert.Equal(PersonalizerNames.Llm, after.Personalizer);
        Assert.Equal(done.Written + done.Failed, after.ModelContacts + after.RuleBasedContacts + after.OriginalContacts);
        Assert.Equal(scenario.AudienceIds.Count, after.ModelContacts);
        Assert.True(after.ModelCalls >= before.ModelCalls && after.ModelCalls <= model.Counters.Requests);
        Assert.True(after.OutputTokens >= before.OutputTokens && after.DistinctGroups >= before.DistinctGroups);
        // The groups generated before the restart come back from the cache after it.
        Assert.True(after.CacheHits > 0, "no cache hit after the resume");
    }

    [Fact]
    public async Task TwoRunsAtOnce_EachCountsOnlyItsOwnModelCalls()
    {
        // The A100-like profile at 4x: each run needs some seconds of model time, so the two run side by side.
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { Profile = ModelProfile.A100.Name, TimeScale = 4 });
        await using var host = await CoreTestHost.StartAsync(settings: Settings(model));
        var first = RunScenario.Create(host.Store);
        var second = RunScenario.Create(host.Store);

        var a = await StartAsync(host, first, PersonalizerNames.Llm);
        // Another brief: the second run's groups are its own generations, made while the first run makes its calls.
        var started = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(second.Campaign.Id, [second.Campaign.Messages[0].Id], RunTrigger.Manual, "test")
            {
                Personalizer = PersonalizerNames.Llm,
                Brief = new CampaignBrief(Goal: "New arrivals for the season", Tone: "warm"),
            },
            CancellationToken.None);
        Assert.True(started.Succeeded, started.ErrorMessage);
        var b = started.Run!;
        var doneA = await RunScenario.WaitForStateAsync(host, a.Id, RunState.Completed, TimeSpan.FromSeconds(120));
        var doneB = await RunScenario.WaitForStateAsync(host, b.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        Assert.True(doneA.StartedAt < doneB.FinishedAt && doneB.StartedAt < doneA.FinishedAt, "the runs did not overlap: the test proves nothing");
        var statsA = (await host.Get<RunPersonalizationStatsStore>().GetAsync(a.Id, default))!;
        var statsB = (await host.Get<RunPersonalizationStatsStore>().GetAsync(b.Id, default))!;
        // Every call the model answered is counted once, for the run that asked for it; not for both.
        Assert.Equal(model.Counters.Requests, statsA.ModelCalls + statsB.ModelCalls);
        Assert.Equal(model.Counters.CompletionTokens, statsA.OutputTokens + statsB.OutputTokens);
        Assert.True(statsA.ModelCalls > 0 && statsB.ModelCalls > 0, $"calls: {statsA.ModelCalls} and {statsB.ModelCalls}");
        Assert.Equal(first.AudienceIds.Count, statsA.ModelContacts);
        Assert.Equal(second.AudienceIds.Count, statsB.ModelContacts);
    }

    internal static Dictionary<string, string?> Settings(ModelSandboxServer model) => new()
    {
        ["Personalization:Personalizer"] = "llm",
        ["Personalization:Llm:Endpoint"] = model.Endpoint.ToString(),
        ["Personalization:Llm:ModelId"] = model.ModelId,
    };

    internal static async Task<PersonalizationRun> StartAsync(CoreTestHost host, RunScenario scenario, string? personalizer)
    {
        await host.Get<Refly.Core.Campaigns.CampaignSyncService>().SyncAsync(CancellationToken.None);
        var result = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], RunTrigger.Manual, "test") { Personalizer = personalizer },
            CancellationToken.None);
        Assert.True(result.Succeeded, result.ErrorMessage);
        return result.Run!;
    }
}
