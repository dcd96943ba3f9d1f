using Microsoft.EntityFrameworkCore;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Klaviyo;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Holdouts;

/// <summary>
/// After the send: Klaviyo's events (the sandbox generates them for the recipients, with an uplift for those holding
/// the run's properties) read over real HTTP into SQLite and joined with the run's contacts.
/// </summary>
public sealed class HoldoutEventsTests
{
    [Fact]
    public async Task Refresh_PersonalizedVsControl_EqualsWhatTheSandboxGenerated_IgnoringOtherCampaignsAndMessages()
    {
        await using var host = await CoreTestHost.StartAsync();
        // Two messages, only the first personalized: the second message's recipients and events are not the run's.
        var scenario = RunScenario.Create(host.Store, messages: 2, sizeA: 3_000);
        var personalizedMessage = scenario.Campaign.Messages[0].Id;
        var run = await HoldoutRunTests.StartAsync(host, scenario.Campaign.Id, [personalizedMessage], holdoutShare: 0.3);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        // Sent 8 days ago (the whole 7-day window is visible), and another campaign to the same people in the same window.
        var sendTime = TruncateToSecond(DateTimeOffset.UtcNow.AddDays(-8));
        host.Store.SetCampaignStatus(scenario.Campaign.Id, CampaignStatuses.Sent, sendTime);
        var other = host.Store.AddCampaign("Other campaign", CampaignStatuses.Draft, null,
            [new MessageSeed("Email", "Other", "Other", RunScenario.Html)], scenario.Campaign.Included.ToList(), []);
        host.Store.SetCampaignStatus(other.Id, CampaignStatuses.Sent, sendTime.AddMinutes(30));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var impact = await host.Get<HoldoutEventsReader>().RefreshAsync(scenario.Campaign.Id, CancellationToken.None);

        Assert.NotNull(impact);
        var (expectedPersonalized, expectedControl) = await ExpectedAsync(host, run.Id, scenario.Campaign.Id, personalizedMessage, sendTime);
        AssertRates(expectedPersonalized, impact.Personalized);
        AssertRates(expectedControl, impact.Control);
        Assert.True(impact.Personalized.Recipients > 0 && impact.Control.Recipients > 0);
        // The sandbox lifts personalized recipients' opens by 20%: the comparison sees more opens per recipient.
        Assert.True(impact.Personalized.OpenRate > impact.Control.OpenRate * 0.9, $"{impact.Personalized.OpenRate} vs {impact.Control.OpenRate}");
        Assert.Equal(4, impact.Lift.Count);

        // The timeline is cumulative and ends at the totals.
        Assert.NotEmpty(impact.Timeline);
        Assert.Equal(expectedPersonalized.OpenRate, impact.Timeline[^1].PersonalizedOpenRate, 10);
        Assert.Equal(expectedControl.ClickRate, impact.Timeline[^1].ControlClickRate, 10);
        Assert.True(impact.Timeline.Zip(impact.Timeline.Skip(1)).All(p => p.Second.PersonalizedOpenRate >= p.First.PersonalizedOpenRate && p.Second.At > p.First.At));

        // Stored: the source answers without reading Klaviyo again, and a second refresh adds nothing (the window is read).
        var stats = host.Get<KlaviyoClientStats>();
        var eventsRequests = EventsRequests(stats);
        var stored = await host.Get<IHoldoutImpactSource>().GetAsync(scenario.Campaign.Id, CancellationToken.None);
        Assert.NotNull(stored);
        AssertRates(expectedPersonalized, stored.Personalized);
        AssertRates(expectedControl, stored.Control);
        Assert.Equal(eventsRequests, EventsRequests(stats));
        var again = await host.Get<HoldoutEventsReader>().RefreshAsync(scenario.Campaign.Id, CancellationToken.None);
        AssertRates(expectedPersonalized, again!.Personalized);
        Assert.Equal(eventsRequests, EventsRequests(stats));
        var result = await host.Get<StoredHoldoutImpactSource>().GetResultAsync(scenario.Campaign.Id, CancellationToken.None);
        Assert.Null(result!.NextRefreshAt);
        Assert.Equal(sendTime.AddDays(7), result.ReadUntil);
    }

    [Fact]
    public async Task ScheduledJob_ReadsADueCampaign_AndTheSourceReturnsIt()
    {
        await using var host = await CoreTestHost.StartAsync(settings: new Dictionary<string, string?> { ["Impact:Holdouts:CheckInterval"] = "00:00:01" });
        var scenario = RunScenario.Create(host.Store, sizeA: 1_000);
        var run = await HoldoutRunTests.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], holdoutShare: 0.25);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));
        Assert.Null(await host.Get<IHoldoutImpactSource>().GetAsync(scenario.Campaign.Id, CancellationToken.None));

        // Sent three hours ago: the 2-hour read is due, the 24-hour one is next.
        var sendTime = TruncateToSecond(DateTimeOffset.UtcNow.AddHours(-3));
        host.Store.SetCampaignStatus(scenario.Campaign.Id, CampaignStatuses.Sent, sendTime);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        HoldoutImpact? impact = null;
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
            (impact = await host.Get<IHoldoutImpactSource>().GetAsync(scenario.Campaign.Id, CancellationToken.None)) is not null, TimeSpan.FromSeconds(60)),
            "the job did not read the campaign");
        var result = await host.Get<StoredHoldoutImpactSource>().GetResultAsync(scenario.Campaign.Id, CancellationToken.None);
        Assert.Equal(sendTime.AddHours(24), result!.NextRefreshAt);
        Assert.True(impact!.Personalized.Recipients + impact.Control.Recipients == scenario.AudienceIds.Count);
        Assert.Equal(await CountAsync(host, run.Id, RunContactState.HeldOut), impact.Control.Recipients);
    }

    [Fact]
    public async Task RefreshTrigger_ReadsTheCampaignNow_BeforeItsScheduledRead()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store, sizeA: 1_000);
        var run = await HoldoutRunTests.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], holdoutShare: 0.2);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));
        // Sent 30 minutes ago: the first scheduled read (2 h) is not due, so only the on-demand one reads.
        var sendTime = TruncateToSecond(DateTimeOffset.UtcNow.AddMinutes(-30));
        host.Store.SetCampaignStatus(scenario.Campaign.Id, CampaignStatuses.Sent, sendTime);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        Assert.Equal(0, await host.Get<HoldoutEventsReader>().RefreshDueAsync(CancellationToken.None));

        await host.Get<HoldoutRefreshTrigger>().FireAsync(scenario.Campaign.Id, CancellationToken.None);

        HoldoutImpact? impact = null;
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
            (impact = await host.Get<IHoldoutImpactSource>().GetAsync(scenario.Campaign.Id, CancellationToken.None)) is not null, TimeSpan.FromSeconds(60)),
            "the triggered read did not happen");
        Assert.Equal(await CountAsync(host, run.Id, RunContactState.HeldOut), impact!.Control.Recipients);
        var result = await host.Get<StoredHoldoutImpactSource>().GetResultAsync(scenario.Campaign.Id, CancellationToken.None);
        Assert.Equal(sendTime.AddHours(2), result!.NextRefreshAt);
    }

    /// <summary>The groups' numbers computed from the sandbox's own record of the send, for the run's message and the window.</summary>
    private static async Task<(ImpactRates Personalized, ImpactRates Control)> ExpectedAsync(
        CoreTestHost host, Guid runId, string campaignId, string messageId, DateTimeOffset sendTime)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        var states = await db.RunContacts.Where(c => c.RunId == runId).ToDictionaryAsync(c => c.ProfileId, c => c.State);
        var send = host.Store.GetCampaignSend(campaignId)!;
        var windowEnd = sendTime.AddDays(7).ToUnixTimeSeconds();
        var perRecipient = new Dictionary<int, (bool Received, bool Opened, bool Clicked, bool Converted, double Revenue)>();
        foreach (var e in send.Events)
        {
            if (send.UnixSecondsOf(e) >= windowEnd || send.MessageOf(e.Recipient).Id != messageId)
            {
                continue;
            }
            var r = perRecipient.GetValueOrDefault(e.Recipient);
            switch (e.Metric)
            {
                case SandboxMetrics.ReceivedEmail: r.Received = true; break;
                case SandboxMetrics.OpenedEmail: r.Opened = true; break;
                case SandboxMetrics.ClickedEmail: r.Clicked = true; break;
                case SandboxMetrics.PlacedOrder: r.Converted = true; r.Revenue += e.ValueCents / 100.0; break;
            }
            perRecipient[e.Recipient] = r;
        }
        ImpactRates Group(RunContactState state)
        {
            var rows = perRecipient.Where(p => p.Value.Received && states.GetValueOrDefault(send.ProfileIdOf(p.Key), RunContactState.Excluded) == state).Select(p => p.Value).ToList();
            return new ImpactRates(rows.Count, rows.Count(r => r.Opened), rows.Count(r => r.Clicked), rows.Count(r => r.Converted),
                rows.Sum(r => r.Revenue), rows.Sum(r => r.Revenue * r.Revenue));
        }
        return (Group(RunContactState.Written), Group(RunContactState.HeldOut));
    }

    private static void AssertRates(ImpactRates expected, ImpactRates actual)
    {
        Assert.Equal(expected.Recipients, actual.Recipients);
        Assert.Equal(expected.Opens, actual.Opens);
        Assert.Equal(expected.Clicks, actual.Clicks);
        Assert.Equal(expected.Conversions, actual.Conversions);
        Assert.Equal(expected.Revenue, actual.Revenue, 6);
        Assert.Equal(expected.RevenueSumOfSquares!.Value, actual.RevenueSumOfSquares!.Value, 6);
    }

    private static long EventsRequests(KlaviyoClientStats stats) =>
        stats.Snapshot().TryGetValue("get_events", out var s) ? s.RequestsSent : 0;

    private static async Task<long> CountAsync(CoreTestHost host, Guid runId, RunContactState state)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.RunContacts.LongCountAsync(c => c.RunId == runId && c.State == state);
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
