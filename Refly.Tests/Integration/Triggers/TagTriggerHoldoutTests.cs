using Refly.Core.Personalization;
using Refly.Tests.Integration.Holdouts;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using static Refly.Tests.Integration.Triggers.TagTriggerFixture;

namespace Refly.Tests.Integration.Triggers;

/// <summary>Nobody chooses a holdout in the tag flow: its runs hold out Personalization:DefaultHoldoutShare.</summary>
public sealed class TagTriggerHoldoutTests
{
    [Theory]
    [InlineData(null, 0.10)]
    [InlineData("0.25", 0.25)]
    public async Task Poll_TaggedCampaign_RunHoldsOutTheConfiguredDefault(string? configured, double expected)
    {
        var settings = new Dictionary<string, string?>();
        if (configured is not null)
        {
            settings["Personalization:DefaultHoldoutShare"] = configured;
        }
        await using var host = await CoreTestHost.StartAsync(settings: settings);
        var campaign = Scheduled(host, tagged: true);
        await SyncAsync(host);

        await PollAsync(host);

        var run = Assert.Single(await RunsOfAsync(host, campaign.Id));
        Assert.Equal(expected, run.HoldoutShare, 10);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);
        Assert.Equal((await HoldoutRunTests.IdsAsync(host, run.Id, RunContactState.HeldOut)).Count, done.HeldOut);
        Assert.Equal(done.Written + done.Failed + done.HeldOut, done.Processed);
    }
}
