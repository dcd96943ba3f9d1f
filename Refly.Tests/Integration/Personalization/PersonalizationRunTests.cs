using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

public sealed class PersonalizationRunTests
{
    [Fact]
    public async Task Run_OnOverlappingListsWithExclusion_WritesEveryAudienceContactAndNoOther()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.Equal(0, done.Failed);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was not written"));
        Assert.All(scenario.NonAudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} should not be written"));
    }

    [Fact]
    public async Task Run_Completed_SwitchesSubjectPreviewAndTemplateWithOriginalsAsDefaults()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        var key = PersonalizedMarkup.MessageKey(message.Id);
        var now = host.Store.GetMessage(message.Id)!;
        Assert.Equal(PersonalizedMarkup.SubjectExpression(key, "Original subject 0"), now.Subject);
        Assert.Equal(PersonalizedMarkup.PreviewExpression(key, "Original preview 0"), now.PreviewText);
        Assert.Contains("default:'Original subject 0'", now.Subject, StringComparison.Ordinal);
        var template = host.Store.GetTemplate(now.TemplateId!)!;
        Assert.Contains($"person|lookup:'{PersonalizedMarkup.IntroProperty(key)}'", template.Html, StringComparison.Ordinal);
        Assert.Contains("<p>Original body</p>", template.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_AbCampaignWithOneSelectedMessage_LeavesTheOtherUntouched()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store, messages: 2);
        var (selected, other) = (scenario.Campaign.Messages[0], scenario.Campaign.Messages[1]);
        var otherBefore = host.Store.GetMessage(other.Id)!;

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [selected.Id]);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        var otherAfter = host.Store.GetMessage(other.Id)!;
        Assert.Equal(otherBefore.Subject, otherAfter.Subject);
        Assert.Equal(otherBefore.PreviewText, otherAfter.PreviewText);
        Assert.Equal(otherBefore.TemplateId, otherAfter.TemplateId);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, selected.Id)));
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasProperties(host.Store, id, other.Id)));
    }

    [Fact]
    public async Task Run_TwoSelectedMessages_ReadsEachProfileOnce()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store, messages: 2);
        var ids = scenario.Campaign.Messages.Select(m => m.Id).ToList();

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, ids);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        Assert.All(scenario.AudienceIds, id => Assert.True(ids.All(m => RunScenario.HasProperties(host.Store, id, m))));
        // A: 300 -> 3 pages, B: 200 -> 2 pages, X: 50 -> 1 page; the same pages whatever the number of messages.
        Assert.Equal(6, host.Store.Counters.RequestsFor("get_profiles_for_list"));
    }

    [Fact]
    public async Task Cancel_MidRun_RestoresOriginalsAndRemovesProperties()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(150));
        var scenario = RunScenario.Create(host.Store, sizeA: 3_000);
        var message = scenario.Campaign.Messages[0];
        var before = host.Store.GetMessage(message.Id)!;
        var templateBefore = host.Store.GetTemplate(before.TemplateId!)!.Html;

        // Klaviyo takes the first import job and holds the others, so the run is mid-way when it is cancelled.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));
        var cancel = await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", CancellationToken.None);
        Assert.Equal(RunState.Cancelling, cancel.Run!.State);
        imports.Release();
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled);

        var after = host.Store.GetMessage(message.Id)!;
        Assert.Equal(before.Subject, after.Subject);
        Assert.Equal(before.PreviewText, after.PreviewText);
        Assert.Equal(templateBefore, host.Store.GetTemplate(after.TemplateId!)!.Html);
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} still has properties"));
    }

    [Fact]
    public async Task Run_ScheduledCampaign_IsScheduledAgainAtTheSameTimeAfterTheSwitch()
    {
        await using var host = await CoreTestHost.StartAsync();
        var sendTime = DateTimeOffset.UtcNow.AddHours(5);
        var scenario = RunScenario.Create(host.Store, CampaignStatuses.Scheduled, sendTime);

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        var campaign = host.Store.GetCampaign(scenario.Campaign.Id)!;
        Assert.Equal(CampaignStatuses.Scheduled, campaign.Status);
        Assert.Equal(sendTime, campaign.SendTime);
        Assert.True(PersonalizedMarkup.IsSwitched(campaign.Messages[0].Subject));
    }

    [Fact]
    public async Task Start_WithinFifteenMinutesOfTheSendTime_IsRefusedWithAReason()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store, CampaignStatuses.Scheduled, DateTimeOffset.UtcNow.AddMinutes(10));
        await host.Get<Refly.Core.Campaigns.CampaignSyncService>().SyncAsync(CancellationToken.None);

        var result = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], RunTrigger.Manual, "test"), CancellationToken.None);

        Assert.False(result.Succeeded);
        Assert.Equal(StartRunErrors.SendTime, result.ErrorCode);
        Assert.Contains("15 minutes", result.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_CampaignDeletedMidRun_FailsWithAClearReason()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(100));
        var scenario = RunScenario.Create(host.Store, sizeA: 3_000);

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.ContentSwitched, TimeSpan.FromSeconds(30)));
        host.Store.DeleteCampaign(scenario.Campaign.Id);

        var failed = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Failed);
        Assert.Contains("no longer exists in Klaviyo", failed.Error, StringComparison.Ordinal);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.CleanedUp, TimeSpan.FromSeconds(30)));
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} still has properties"));
    }

    [Fact]
    public async Task Run_ProfileDataWithTemplateSyntax_IsWrittenNeutralised()
    {
        await using var host = await CoreTestHost.StartAsync();
        var list = host.Store.AddList("Hostile", 0);
        var ids = host.Store.AddProfilesToGroup(list.Id,
        [
            new ProfileSeed("attacker@example.com", FirstName: "{{ person.email }}", City: "{% if x %}Paris{% endif %}"),
            new ProfileSeed("script@example.com", FirstName: "<script>alert(1)</script>"),
        ]);
        var campaign = host.Store.AddCampaign("Hostile", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(1),
            [new MessageSeed("Email", "Hello", "Preview", RunScenario.Html)], [list.Id]);

        var run = await RunScenario.StartAsync(host, campaign.Id, [campaign.Messages[0].Id]);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        foreach (var id in ids)
        {
            var written = host.Store.GetProfileProperties(id)
                .Where(p => p.Key.StartsWith(PersonalizedMarkup.PropertyPrefix, StringComparison.Ordinal))
                .Select(p => p.Value?.ToString() ?? "")
                .ToList();
            Assert.NotEmpty(written);
            Assert.All(written, value =>
            {
                Assert.DoesNotContain("{{", value, StringComparison.Ordinal);
                Assert.DoesNotContain("{%", value, StringComparison.Ordinal);
                Assert.DoesNotContain("<script", value, StringComparison.OrdinalIgnoreCase);
            });
        }
    }
}
