using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Klaviyo;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Sandbox;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Klaviyo;

/// <summary>
/// The typed client's metrics, events and reporting calls against the sandbox over real HTTP, through the real
/// registration (pacing, 429 handling): what it reads equals what the sandbox generated.
/// </summary>
public sealed class KlaviyoImpactClientTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetMetricsAsync_ReadsTheAccountsMetricsWithTheirIntegration()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);

        var metrics = await host.Get<IKlaviyoClient>().GetMetricsAsync(CancellationToken.None);

        Assert.Equal(SandboxMetrics.All.Select(m => m.Id).Order(), metrics.Select(m => m.Id).Order());
        var placedOrder = Assert.Single(metrics, m => m.Name == "Placed Order");
        Assert.Equal(("Shopify", "eCommerce"), (placedOrder.IntegrationName, placedOrder.IntegrationCategory));
        Assert.Equal("Klaviyo", Assert.Single(metrics, m => m.Name == "Opened Email").IntegrationName);
    }

    [Fact]
    public async Task GetEventsPageAsync_FollowedToTheEnd_ReadsEveryEventOfTheMetricAndWindow_PerMessage()
    {
        var time = new FakeTimeProvider(_start);
        await using var host = await CoreTestHost.StartAsync(o => { o.TimeProvider = time; o.RateLimitMultiplier = 1000; }, startScheduler: false);
        var (campaign, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 2_500, personalize: true);
        time.Advance(TimeSpan.FromHours(1));
        SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 800, personalize: false, name: "Other campaign");
        time.Advance(TimeSpan.FromDays(9));
        var client = host.Get<IKlaviyoClient>();
        var tally = host.Store.GetCampaignSend(campaign.Id)!.Tally(long.MaxValue, SandboxMetrics.PlacedOrder);

        var opens = await ReadAllAsync(client, new KlaviyoEventQuery(SandboxMetrics.ByCode(SandboxMetrics.OpenedEmail).Id, _start, _start.AddDays(10)));
        var orders = await ReadAllAsync(client, new KlaviyoEventQuery(SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id, _start, _start.AddDays(10)));

        Assert.Equal(opens.Count, opens.Select(e => e.Id).Distinct().Count());
        Assert.Equal(opens.Select(e => e.Datetime).Order(), opens.Select(e => e.Datetime));
        for (var m = 0; m < campaign.Messages.Count; m++)
        {
            var messageId = campaign.Messages[m].Id;
            // Events of the other campaign come too; its messages are simply others.
            Assert.Equal(tally.Counts[m, SandboxMetrics.OpenedEmail], opens.Count(e => e.MessageId == messageId));
            var attributed = orders.Where(e => e.AttributedMessageId == messageId).ToList();
            Assert.Equal(tally.ConversionCount[m], attributed.Count);
            Assert.Equal(tally.ConversionValueCents[m] / 100m, attributed.Sum(e => e.Value!.Value));
        }
        Assert.Contains(opens, e => campaign.Messages.All(msg => msg.Id != e.MessageId));
        Assert.All(orders, e => Assert.Null(e.MessageId));
        Assert.All(opens, e => Assert.NotNull(e.ProfileId));

        // A narrower window reads only its events.
        var firstHour = await ReadAllAsync(client, new KlaviyoEventQuery(SandboxMetrics.ByCode(SandboxMetrics.OpenedEmail).Id, _start, _start.AddHours(1)));
        Assert.Equal(opens.Count(e => e.Datetime < _start.AddHours(1)), firstHour.Count);
    }

    [Fact]
    public async Task QueryCampaignValuesAsync_PerMessage_EqualsWhatTheSandboxGenerated_OtherCampaignsExcluded()
    {
        var time = new FakeTimeProvider(_start);
        await using var host = await CoreTestHost.StartAsync(o => { o.TimeProvider = time; o.RateLimitMultiplier = 1000; }, startScheduler: false);
        var (campaign, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 4_000, personalize: true);
        var (other, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 300, personalize: false, name: "Other campaign");
        time.Advance(TimeSpan.FromDays(9));
        var send = host.Store.GetCampaignSend(campaign.Id)!;
        var tally = send.Tally(long.MaxValue, SandboxMetrics.PlacedOrder);

        var rows = await host.Get<IKlaviyoClient>().QueryCampaignValuesAsync(new KlaviyoCampaignValuesQuery(
            [campaign.Id],
            ["recipients", "delivered", "opens_unique", "open_rate", "clicks_unique", "click_rate", "conversion_uniques", "conversion_rate", "conversion_value", "revenue_per_recipient"],
            SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id, _start.AddDays(-1), _start.AddDays(1)), CancellationToken.None);

        Assert.Equal(campaign.Messages.Select(m => m.Id).Order(), rows.Select(r => r.MessageId).Order());
        Assert.DoesNotContain(rows, r => r.CampaignId == other.Id);
        for (var m = 0; m < campaign.Messages.Count; m++)
        {
            var row = rows.Single(r => r.MessageId == campaign.Messages[m].Id);
            double recipients = tally.Counts[m, SandboxMetrics.ReceivedEmail];
            Assert.Equal("email", row.SendChannel);
            Assert.Equal(2_000, recipients);
            Assert.Equal(recipients, row.Statistics["recipients"]);
            Assert.Equal(tally.Counts[m, SandboxMetrics.OpenedEmail], row.Statistics["opens_unique"]);
            Assert.Equal(tally.Counts[m, SandboxMetrics.OpenedEmail] / recipients, row.Statistics["open_rate"], 12);
            Assert.Equal(tally.Counts[m, SandboxMetrics.ClickedEmail] / recipients, row.Statistics["click_rate"], 12);
            Assert.Equal(tally.ConversionUniques[m], row.Statistics["conversion_uniques"]);
            Assert.Equal(tally.ConversionUniques[m] / recipients, row.Statistics["conversion_rate"], 12);
            Assert.Equal(tally.ConversionValueCents[m] / 100.0, row.Statistics["conversion_value"], 6);
            Assert.Equal(tally.ConversionValueCents[m] / 100.0 / recipients, row.Statistics["revenue_per_recipient"], 9);
        }
        // The personalized variation (A) opens more than the control (B), as generated.
        var a = rows.Single(r => r.MessageId == campaign.Messages[0].Id);
        var b = rows.Single(r => r.MessageId == campaign.Messages[1].Id);
        Assert.True(a.Statistics["open_rate"] > b.Statistics["open_rate"]);
    }

    [Fact]
    public async Task QueryCampaignValuesAsync_ThirdQueryWithinAMinute_Gets429AndWaitsForTheNextWindowInsteadOfFailing()
    {
        var windows = new OffsetTimeProvider();
        var time = new FakeTimeProvider(_start);
        await using var host = await CoreTestHost.StartAsync(o => { o.TimeProvider = time; o.RateLimitTimeProvider = windows; }, startScheduler: false);
        var (campaign, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 200, personalize: false);
        time.Advance(TimeSpan.FromDays(9));
        var client = host.Get<IKlaviyoClient>();
        var query = new KlaviyoCampaignValuesQuery([campaign.Id], ["recipients"], SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id, _start.AddDays(-1), _start.AddDays(1));

        // The windows' clock runs in real time, placed 7 s before a minute ends, so the wait is real and short. Two
        // queries of another integration of the account (same quota) spend the minute's 2.
        var now = DateTimeOffset.UtcNow;
        windows.Offset = TimeSpan.FromSeconds(53 - now.Second) - TimeSpan.FromMilliseconds(now.Millisecond);
        var minuteEnds = new DateTimeOffset(windows.GetUtcNow().Ticks / TimeSpan.TicksPerMinute * TimeSpan.TicksPerMinute, TimeSpan.Zero).AddMinutes(1);
        using var neighbour = host.Sandbox.CreateClient(apiKey: host.Store.IssuePrivateKey());
        for (var i = 0; i < 2; i++)
        {
            using var spent = await SandboxEmailEventsTests.PostReportAsync(neighbour, null, ["opens"]);
            Assert.Equal(System.Net.HttpStatusCode.OK, spent.StatusCode);
            await Task.Delay(TimeSpan.FromSeconds(1.1));
        }

        var watch = Stopwatch.StartNew();
        var rows = await client.QueryCampaignValuesAsync(query, CancellationToken.None);
        var finished = windows.GetUtcNow();

        Assert.Equal(200, rows.Sum(r => r.Statistics["recipients"]));
        Assert.True(host.Store.Counters.ThrottledFor("query_campaign_values") >= 1, "the sandbox never refused the third query");
        Assert.True(finished >= minuteEnds, $"the third query finished at {finished:HH:mm:ss.fff}, before the window reset at {minuteEnds:HH:mm:ss}");
        // After the 429 the client also paces at its share of 2/min (about one query per 33 s): slow, never a failure.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(90), $"took {watch.Elapsed}");
    }

    private static async Task<List<KlaviyoEvent>> ReadAllAsync(IKlaviyoClient client, KlaviyoEventQuery query)
    {
        var events = new List<KlaviyoEvent>();
        string? cursor = null;
        var pages = 0;
        do
        {
            Assert.True(++pages < 1_000, "the cursor never ends");
            var page = await client.GetEventsPageAsync(query, cursor, CancellationToken.None);
            events.AddRange(page.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return events;
    }

    /// <summary>The system clock moved by a fixed offset: real waits, chosen window boundaries.</summary>
    private sealed class OffsetTimeProvider : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }
}
