using Refly.Core.Personalization;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using static Refly.Tests.Integration.Triggers.TagTriggerFixture;

namespace Refly.Tests.Integration.Triggers;

/// <summary>The poll as the product runs it: the Quartz job on <c>Triggers:PollInterval</c>.</summary>
public sealed class TagPollJobTests
{
    [Fact]
    public async Task QuartzJob_TaggedScheduledCampaign_StartsOneTagRunAndNoMoreOnLaterPolls()
    {
        await using var host = await CoreTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Triggers:PollInterval"] = "00:00:01" });
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);

        var started = await CoreTestHost.WaitUntilAsync(async () => (await RunsOfAsync(host, campaign.Id)).Count > 0, TimeSpan.FromSeconds(20));
        Assert.True(started, "The tag poll job did not start a run");
        var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal(RunTrigger.Tag, run.Trigger);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        // A few more polls fire meanwhile and after: still one run.
        var polls = host.Store.Counters.RequestsFor("get_tags");
        await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Store.Counters.RequestsFor("get_tags") >= polls + 2), TimeSpan.FromSeconds(10));
        Assert.Single(await RunsOfAsync(host, campaign.Id));
    }
}
