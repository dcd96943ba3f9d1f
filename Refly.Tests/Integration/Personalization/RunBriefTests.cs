using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>A run writes with its campaign's brief: the one it was started with, else the saved one; a resume keeps it.</summary>
public sealed class RunBriefTests
{
    private static readonly CampaignBrief _german = new(Goal: "Frühzugang für Mitglieder", Language: "de");

    [Fact]
    public async Task Start_WithoutBrief_UsesTheSavedBrief()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        await host.Get<CampaignBriefStore>().SaveAsync(scenario.Campaign.Id, _german, "test", default);

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        Assert.Equal("de", done.Brief?.Language);
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        // German brief: the rule-based copy is English, so every contact keeps the original (no English in a German email).
        Assert.Equal(done.Written, done.FellBack);
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} got English copy"));
    }

    [Fact]
    public async Task Start_WithBrief_SavesIt_AndNoSavedBriefMeansTheDefault()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var briefs = host.Get<CampaignBriefStore>();
        Assert.Null(await briefs.FindAsync(scenario.Campaign.Id, default));

        var first = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var plain = await RunScenario.WaitForStateAsync(host, first.Id, RunState.Completed);
        Assert.Null(plain.Brief);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id)));

        var result = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, [message.Id], RunTrigger.Manual, "test") { Brief = new CampaignBrief(Tone: " formal ", AvoidWords: ["cheap"]) }, default);
        Assert.True(result.Succeeded, result.ErrorMessage);
        var saved = await briefs.GetAsync(scenario.Campaign.Id, default);
        Assert.Equal("formal", saved.Tone);
        Assert.Equal(saved.Hash(), result.Run!.Brief!.Hash());
        await RunScenario.WaitForStateAsync(host, result.Run.Id, RunState.Completed);
    }

    [Fact]
    public async Task Start_WithAnInvalidBrief_IsRefusedBesideTheField_AndSavesNothing()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        await host.Get<Refly.Core.Campaigns.CampaignSyncService>().SyncAsync(default);

        var result = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], RunTrigger.Manual, "test") { Brief = new CampaignBrief(Language: "klingon") }, default);

        Assert.False(result.Succeeded);
        Assert.Equal(StartRunErrors.InvalidBrief, result.ErrorCode);
        Assert.Equal("Brief.Language", Assert.Single(result.Errors).PropertyName);
        Assert.Null(await host.Get<CampaignBriefStore>().FindAsync(scenario.Campaign.Id, default));
    }

    [Fact]
    public async Task Resume_AfterRestart_KeepsTheRunsBrief_EvenWhenTheSavedBriefChanged()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(120));
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        await host.Get<CampaignBriefStore>().SaveAsync(scenario.Campaign.Id, _german, "test", default);

        // Klaviyo takes the first import job and holds the others until the restart, so the restart is surely mid-run.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));
        await host.RestartAsync();
        // Meanwhile the marketer saves an English brief: the resumed run must still write as it began.
        await host.Get<CampaignBriefStore>().SaveAsync(scenario.Campaign.Id, new CampaignBrief(Language: "en"), "test", default);
        imports.Release();
        var interrupted = await host.Get<RunStore>().GetAsync(run.Id, default);
        Assert.InRange(interrupted!.Written, 1, scenario.AudienceIds.Count - 1);

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(90));

        Assert.Equal("de", done.Brief?.Language);
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} got English copy after the resume"));
    }
}
