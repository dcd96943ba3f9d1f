using Refly.Core.Personalization;
using Refly.Core.Settings;
using Refly.Core.Triggers;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using static Refly.Tests.Integration.Triggers.TagTriggerFixture;

namespace Refly.Tests.Integration.Triggers;

/// <summary>Issue #5 against the sandbox over HTTP: the poller is called directly so each poll is deterministic.</summary>
public sealed class TagTriggerTests
{
    [Fact]
    public async Task Poll_TagAddedAtRunTimeToScheduledCampaign_StartsTagRunWithinOnePoll()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: false);
        await SyncAsync(host);
        Assert.Empty((await PollAsync(host)).StartedRunIds);

        host.Store.AddCampaignTag(campaign.Id, Tag);
        var poll = await PollAsync(host);

        var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal([run.Id], poll.StartedRunIds);
        Assert.Equal(RunTrigger.Tag, run.Trigger);
        Assert.Equal(Tag, run.StartedBy);
        Assert.Equal([campaign.Messages[0].Id], run.MessageIds);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);
    }

    [Fact]
    public async Task Poll_TaggedCampaignNotSyncedYet_FetchesItAndStarts()
    {
        // Without the scheduler the run stays Queued, so its own campaign read does not mix into the count.
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        var campaign = Scheduled(host, tagged: true);

        var poll = await PollAsync(host);

        Assert.Single(poll.StartedRunIds);
        Assert.Equal(1, poll.CampaignRequests);
        Assert.Equal(1, host.Store.Counters.RequestsFor("get_campaign"));
        Assert.Single(await RunsOfAsync(host, campaign.Id));
    }

    [Fact]
    public async Task Poll_DraftWithTag_DoesNotStartAndRecordsWhy()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true, status: CampaignStatuses.Draft);
        await SyncAsync(host);

        var poll = await PollAsync(host);

        Assert.Empty(poll.StartedRunIds);
        Assert.Empty(await RunsOfAsync(host, campaign.Id));
        var state = await StateOfAsync(host, campaign.Id);
        Assert.Equal(TagTriggerCodes.NotScheduled, state!.LastDecision);
        Assert.True(state.Armed);
    }

    [Theory]
    [InlineData(CampaignStatuses.Sending)]
    [InlineData(CampaignStatuses.Sent)]
    [InlineData(CampaignStatuses.Cancelled)]
    public async Task Poll_TaggedCampaignNotScheduled_DoesNotStart(string status)
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        host.Store.SetCampaignStatus(campaign.Id, status);
        await SyncAsync(host);

        await PollAsync(host);

        Assert.Empty(await RunsOfAsync(host, campaign.Id));
    }

    [Fact]
    public async Task Poll_TaggedAbCampaign_PersonalizesAllMessages()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true, messages: 3);
        await SyncAsync(host);

        await PollAsync(host);

        var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal(campaign.Messages.Select(m => m.Id).Order(), run.MessageIds.Order());
    }

    [Fact]
    public async Task Poll_TwoOverlappingPolls_StartOneRun()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);

        var polls = await Task.WhenAll(PollAsync(host), PollAsync(host), PollAsync(host));

        Assert.Single(polls.SelectMany(p => p.StartedRunIds));
        Assert.Single(await RunsOfAsync(host, campaign.Id));
    }

    [Fact]
    public async Task Poll_ManualRunAlreadyActive_DoesNotStartAnother()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        var campaign = Scheduled(host, tagged: true);
        var manual = await RunScenario.StartAsync(host, campaign.Id, [campaign.Messages[0].Id]);

        var poll = await PollAsync(host);

        Assert.Empty(poll.StartedRunIds);
        Assert.Equal([manual.Id], (await RunsOfAsync(host, campaign.Id)).Select(r => r.Id));
        Assert.Equal(TagTriggerCodes.RunActive, (await StateOfAsync(host, campaign.Id))!.LastDecision);
    }

    [Fact]
    public async Task Poll_AfterRestart_DoesNotStartSecondRun()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);
        var first = Assert.Single((await PollAsync(host)).StartedRunIds);
        await RunScenario.WaitForStateAsync(host, first, RunState.Completed);

        await host.RestartAsync();
        await SyncAsync(host);
        var again = await PollAsync(host);

        Assert.Empty(again.StartedRunIds);
        Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal(TagTriggerCodes.AlreadyPersonalized, (await StateOfAsync(host, campaign.Id))!.LastDecision);
    }

    [Fact]
    public async Task Poll_CancelledTagRun_StaysCancelledAcrossPolls()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);
        // Klaviyo holds the run's import jobs, so the cancel always meets a running run.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles");
        var runId = Assert.Single((await PollAsync(host)).StartedRunIds);
        Assert.Equal(RunState.Cancelling, (await host.Get<PersonalizationRunService>().CancelAsync(runId, "marketer", CancellationToken.None)).Run?.State);
        imports.Release();
        await RunScenario.WaitForStateAsync(host, runId, RunState.Cancelled);

        await SyncAsync(host);
        var second = await PollAsync(host);
        var third = await PollAsync(host);

        Assert.Empty(second.StartedRunIds.Concat(third.StartedRunIds));
        Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal(TagTriggerCodes.Cancelled, (await StateOfAsync(host, campaign.Id))!.LastDecision);
    }

    [Fact]
    public async Task Poll_TagRemovedAndAddedAgain_StartsNewRun()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);
        // Klaviyo holds the run's import jobs, so the cancel always meets a running run.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles");
        var first = Assert.Single((await PollAsync(host)).StartedRunIds);
        Assert.Equal(RunState.Cancelling, (await host.Get<PersonalizationRunService>().CancelAsync(first, "marketer", CancellationToken.None)).Run?.State);
        imports.Release();
        await RunScenario.WaitForStateAsync(host, first, RunState.Cancelled);

        // Removed and added back between two polls: the poller never saw the tag gone, so nothing re-arms.
        host.Store.RemoveCampaignTag(campaign.Id, Tag);
        host.Store.AddCampaignTag(campaign.Id, Tag);
        Assert.Empty((await PollAsync(host)).StartedRunIds);

        host.Store.RemoveCampaignTag(campaign.Id, Tag);
        var removedPoll = await PollAsync(host);
        Assert.Contains(removedPoll.Outcomes, o => o.CampaignId == campaign.Id && o.Decision.Action == TagTriggerAction.Rearm);
        host.Store.AddCampaignTag(campaign.Id, Tag);
        var readded = await PollAsync(host);

        var second = Assert.Single(readded.StartedRunIds);
        Assert.NotEqual(first, second);
        Assert.Equal(2, (await RunsOfAsync(host, campaign.Id)).Count);
        await RunScenario.WaitForStateAsync(host, second, RunState.Completed);
    }

    [Fact]
    public async Task Poll_TagNameSavedWithATypoThenFixed_StartsNoRunAndLeavesTheCampaignsAlone()
    {
        await using var host = await CoreTestHost.StartAsync(withSettings: true);
        var campaigns = new[] { Scheduled(host, tagged: true), Scheduled(host, tagged: true) };
        await SyncAsync(host);
        var first = (await PollAsync(host)).StartedRunIds;
        Assert.Equal(2, first.Count);
        foreach (var runId in first)
        {
            await RunScenario.WaitForStateAsync(host, runId, RunState.Completed);
        }
        var before = campaigns.Select(c => (host.Store.GetCampaign(c.Id)!.Status, host.Store.GetCampaign(c.Id)!.SendTime, host.Store.GetMessage(c.Messages[0].Id)!.TemplateId)).ToList();
        var settings = host.Get<SettingsService>();

        // A typo saved in Settings: no campaign carries that tag, which is not the tag being removed from all of them.
        Assert.True((await settings.SaveAsync(host.Get<TriggerSettings>(), new TriggerSettingsInput("Refly: Personalise", "00:01:00"), CancellationToken.None)).Succeeded);
        var typo = await PollAsync(host);
        Assert.DoesNotContain(typo.Outcomes, o => o.Decision.Action == TagTriggerAction.Rearm);
        // Fixed: the tag's campaigns were personalized under it already.
        Assert.True((await settings.SaveAsync(host.Get<TriggerSettings>(), new TriggerSettingsInput(Tag, "00:01:00"), CancellationToken.None)).Succeeded);
        var fixedPoll = await PollAsync(host);

        Assert.Empty(typo.StartedRunIds);
        Assert.Empty(fixedPoll.StartedRunIds);
        foreach (var (campaign, i) in campaigns.Select((c, i) => (c, i)))
        {
            var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
            Assert.Equal(RunState.Completed, run.State);
            Assert.False((await StateOfAsync(host, campaign.Id))!.Armed);
            Assert.Equal(before[i], (host.Store.GetCampaign(campaign.Id)!.Status, host.Store.GetCampaign(campaign.Id)!.SendTime, host.Store.GetMessage(campaign.Messages[0].Id)!.TemplateId));
        }

        // The same tag really removed still arms the trigger again.
        host.Store.RemoveCampaignTag(campaigns[0].Id, Tag);
        Assert.Contains((await PollAsync(host)).Outcomes, o => o.CampaignId == campaigns[0].Id && o.Decision.Action == TagTriggerAction.Rearm);
    }

    [Fact]
    public async Task Poll_CompletedTagRun_OwnContentSwitchIsNotAChange_SendTimeChangeRepeatsOnce()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);
        var first = Assert.Single((await PollAsync(host)).StartedRunIds);
        await RunScenario.WaitForStateAsync(host, first, RunState.Completed);

        // The sync now sees the subject switched to the lookup and the template clone: that is our own doing.
        await SyncAsync(host);
        Assert.True(PersonalizedMarkup.IsSwitched(host.Store.GetMessage(campaign.Messages[0].Id)!.Subject));
        Assert.Empty((await PollAsync(host)).StartedRunIds);
        var view = (await host.Get<RunQueryService>().LatestByCampaignAsync([campaign.Id], CancellationToken.None))[campaign.Id];
        Assert.False(view.IsStale);

        host.Store.SetCampaignSendTime(campaign.Id, host.Store.TimeProvider.GetUtcNow().AddDays(3));
        await SyncAsync(host);
        view = (await host.Get<RunQueryService>().LatestByCampaignAsync([campaign.Id], CancellationToken.None))[campaign.Id];
        Assert.True(view.IsStale);
        var repeat = await PollAsync(host);
        var second = Assert.Single(repeat.StartedRunIds);
        Assert.Equal(TagTriggerCodes.ContentChanged, repeat.Outcomes.Single(o => o.RunId == second).Decision.Code);
        await RunScenario.WaitForStateAsync(host, second, RunState.Completed);

        await SyncAsync(host);
        Assert.Empty((await PollAsync(host)).StartedRunIds);
        Assert.Equal(2, (await RunsOfAsync(host, campaign.Id)).Count);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(-5)]
    public async Task Poll_SendTimeInsideLockOrPassed_SkipsWithReason(int minutesFromNow)
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = Scheduled(host, tagged: true, sendTime: DateTimeOffset.UtcNow.AddMinutes(Math.Max(minutesFromNow, 10)));
        await SyncAsync(host);
        if (minutesFromNow < 0)
        {
            // The local copy still says Scheduled (synced before the send time); Klaviyo would say Sending by now.
            await SetLocalSendTimeAsync(host, campaign.Id, DateTimeOffset.UtcNow.AddMinutes(minutesFromNow));
        }

        var poll = await PollAsync(host);

        Assert.Empty(poll.StartedRunIds);
        var outcome = Assert.Single(poll.Outcomes);
        Assert.Equal(TagTriggerCodes.SendTime, outcome.Decision.Code);
        Assert.Equal(TagTriggerCodes.SendTime, (await StateOfAsync(host, campaign.Id))!.LastDecision);
        Assert.Empty(await RunsOfAsync(host, campaign.Id));
    }

    [Fact]
    public async Task Poll_SendTimeTooCloseForEstimate_StillStarts()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        // 20 minutes out: outside the lock, but far too close for a large audience at the expected pace.
        var list = host.Store.AddList("Big", 500_000);
        var campaign = host.Store.AddCampaign("Soon", CampaignStatuses.Scheduled, DateTimeOffset.UtcNow.AddMinutes(20),
            [new MessageSeed("Email", "Subject", "Preview", RunScenario.Html)], [list.Id], tags: [Tag]);
        await SyncAsync(host);

        Assert.Single((await PollAsync(host)).StartedRunIds);
    }

    [Fact]
    public async Task Poll_TagRunStartedButTriggerStateNotSaved_AdoptsTheRunInsteadOfStartingAnother()
    {
        // As if the process died between creating the tag run and saving the disarmed trigger: the state is armed,
        // the run exists. The next poll must recognise the run as the answer to the tag.
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        var campaign = Scheduled(host, tagged: true, status: CampaignStatuses.Draft);
        await SyncAsync(host);
        await PollAsync(host);
        Assert.True((await StateOfAsync(host, campaign.Id))!.Armed);
        host.Store.SetCampaignStatus(campaign.Id, CampaignStatuses.Scheduled, DateTimeOffset.UtcNow.AddDays(2));
        await SyncAsync(host);
        var orphan = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(campaign.Id, [campaign.Messages[0].Id], RunTrigger.Tag, Tag), CancellationToken.None);
        Assert.True(orphan.Succeeded, orphan.ErrorMessage);

        var poll = await PollAsync(host);

        Assert.Empty(poll.StartedRunIds);
        var state = await StateOfAsync(host, campaign.Id);
        Assert.False(state!.Armed);
        Assert.Equal(orphan.Run!.Id, state.LastRunId);
        Assert.Single(await RunsOfAsync(host, campaign.Id));
    }
}
