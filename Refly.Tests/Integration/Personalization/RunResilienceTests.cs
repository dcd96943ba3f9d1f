using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

public sealed class RunResilienceTests
{
    [Fact]
    public async Task Restart_MidRun_ResumesAndWritesEveryContactExactlyAsAnUninterruptedRun()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(120));
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];

        // Klaviyo takes the first import job and holds the others until the restart, so the restart is surely mid-run.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));
        await host.RestartAsync();
        imports.Release();
        var interrupted = await host.Get<RunStore>().GetAsync(run.Id, default);
        Assert.Equal(RunState.InProgress, interrupted!.State);
        Assert.InRange(interrupted.Written, 1, scenario.AudienceIds.Count - 1);

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(90));

        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.Equal(scenario.AudienceIds.Count, done.Processed);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was skipped"));
        Assert.All(scenario.NonAudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id)));
    }

    [Fact]
    public async Task Run_With429StormsAndFivePercentServerErrors_StillCompletesWithNothingLost()
    {
        // The sandbox's limits at half of Klaviyo's: the client, pacing to Klaviyo's published limits, meets 429s
        // and must wait them out; one request in twenty fails with a 503 on top. About 150 requests make a run
        // without any injected fault vanishingly unlikely (0.95^150).
        await using var host = await CoreTestHost.StartAsync(o =>
        {
            o.RateLimitMultiplier = 0.5;
            o.FaultRate = 0.05;
        });
        var scenario = RunScenario.Create(host.Store, sizeA: 10_000);
        var message = scenario.Campaign.Messages[0];

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(150));

        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id)));
        Assert.True(host.Store.Counters.Faults > 0, "the sandbox injected no fault: the test proves nothing");
    }

    [Fact]
    public async Task PersonalizeAgain_AfterCompleted_StartsFromTheStoredOriginals()
    {
        // Some latency so the third run is still writing when it is cancelled.
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(40));
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var original = host.Store.GetMessage(message.Id)!;
        var originalHtml = host.Store.GetTemplate(original.TemplateId!)!.Html;

        var first = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        await RunScenario.WaitForStateAsync(host, first.Id, RunState.Completed);
        var second = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var done = await RunScenario.WaitForStateAsync(host, second.Id, RunState.Completed);

        var snapshot = Assert.Single(done.Originals);
        Assert.Equal(original.Subject, snapshot.Subject);
        Assert.Equal(original.PreviewText, snapshot.PreviewText);
        Assert.Equal(originalHtml, snapshot.TemplateHtml);
        var key = PersonalizedMarkup.MessageKey(message.Id);
        Assert.Equal(PersonalizedMarkup.SubjectExpression(key, original.Subject), host.Store.GetMessage(message.Id)!.Subject);

        // Cancelling the second run puts back the true originals, not the first run's switched content.
        var third = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(third.Id, default))!.ContentSwitched, TimeSpan.FromSeconds(30)));
        await host.Get<PersonalizationRunService>().CancelAsync(third.Id, "test", default);
        await RunScenario.WaitForStateAsync(host, third.Id, RunState.Cancelled);
        Assert.Equal(original.Subject, host.Store.GetMessage(message.Id)!.Subject);
    }
}
