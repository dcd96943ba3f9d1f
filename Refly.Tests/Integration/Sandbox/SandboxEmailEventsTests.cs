using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;
using Xunit.Abstractions;

namespace Refly.Tests.Integration.Sandbox;

/// <summary>
/// What a sent campaign leaves in the sandbox account: metrics, the email events of its recipients (get_events with
/// the spec's filters and cursor pages) and campaign values reports that agree with those events, over real HTTP.
/// </summary>
public sealed class SandboxEmailEventsTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset _start = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Metrics_ListTheEmailAndOrderMetrics_FilterByIntegration_AndGetOne()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var all = await client.GetJsonAsync("/api/metrics");
        var names = all.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("attributes").GetProperty("name").GetString()).ToList();
        Assert.Contains("Received Email", names);
        Assert.Contains("Opened Email", names);
        Assert.Contains("Clicked Email", names);
        Assert.Contains("Placed Order", names);

        using var shop = await client.GetJsonAsync("/api/metrics?filter=" + Uri.EscapeDataString("equals(integration.category,'eCommerce')"));
        var shopMetrics = shop.RootElement.GetProperty("data").EnumerateArray().ToList();
        Assert.NotEmpty(shopMetrics);
        Assert.All(shopMetrics, m => Assert.Equal("Shopify", m.GetProperty("attributes").GetProperty("integration").GetProperty("name").GetString()));
        Assert.Contains(shopMetrics, m => m.GetProperty("attributes").GetProperty("name").GetString() == "Placed Order");

        var placedOrder = MetricId(all, "Placed Order");
        using var one = await client.GetJsonAsync($"/api/metrics/{placedOrder}?fields[metric]=name");
        var attributes = one.RootElement.GetProperty("data").GetProperty("attributes");
        Assert.Equal("Placed Order", attributes.GetProperty("name").GetString());
        Assert.False(attributes.TryGetProperty("integration", out _));

        (await client.GetJsonAsync("/api/metrics/NoSuch", HttpStatusCode.NotFound)).Dispose();
        (await client.GetJsonAsync("/api/metrics?filter=" + Uri.EscapeDataString("equals(name,'Placed Order')"), HttpStatusCode.BadRequest)).Dispose();
    }

    [Fact]
    public async Task SentAbCampaign_EveryRecipientReceivesOneMessage_SplitEvenly_OrdersCarryTheAttributedMessage()
    {
        var time = new FakeTimeProvider(_start);
        await using var sandbox = await StartAsync(time);
        var (campaign, _) = SendAb(sandbox, time, recipients: 1_000, personalize: true);
        time.Advance(TimeSpan.FromDays(9));
        using var client = sandbox.CreateClient();

        var received = await AllEventsAsync(client, $"filter=equals(metric_id,'{SandboxMetrics.ByCode(SandboxMetrics.ReceivedEmail).Id}')&page[size]=1000");

        Assert.Equal(1_000, received.Count);
        Assert.Equal(1_000, received.Select(ProfileOf).Distinct().Count());
        var perMessage = received.GroupBy(e => Property(e, "$message")).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(campaign.Messages.Select(m => m.Id).Order(), perMessage.Keys.Order());
        Assert.All(perMessage.Values, count => Assert.Equal(500, count));
        Assert.All(received, e => Assert.Equal(campaign.Name, Property(e, "Campaign Name")));

        var orders = await AllEventsAsync(client, $"filter=equals(metric_id,'{SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id}')");
        Assert.NotEmpty(orders);
        Assert.All(orders, o =>
        {
            var properties = o.GetProperty("attributes").GetProperty("event_properties");
            Assert.Contains(properties.GetProperty("$attributed_message").GetString(), perMessage.Keys);
            Assert.True(properties.GetProperty("$value").GetDouble() > 0);
            Assert.False(properties.TryGetProperty("$message", out _));
        });
        // An order comes from a recipient of the message it is attributed to.
        var messageOf = received.ToDictionary(ProfileOf, e => Property(e, "$message"));
        Assert.All(orders, o => Assert.Equal(messageOf[ProfileOf(o)], Property(o, "$attributed_message")));
    }

    [Fact]
    public async Task Events_PagedToTheEnd_AreSortedByDatetime_EachOnce_BothDirections()
    {
        var time = new FakeTimeProvider(_start);
        await using var sandbox = await StartAsync(time);
        SendAb(sandbox, time, recipients: 700, personalize: false);
        time.Advance(TimeSpan.FromHours(3));
        SendAb(sandbox, time, recipients: 300, personalize: false, name: "Second");
        time.Advance(TimeSpan.FromDays(9));
        using var client = sandbox.CreateClient();
        var total = sandbox.Store.GetCampaignSends().Sum(s => s.EventCount);

        var ascending = await AllEventsAsync(client, "page[size]=137&sort=datetime");
        var descending = await AllEventsAsync(client, "page[size]=250&sort=-datetime");

        Assert.Equal(total, ascending.Count);
        Assert.Equal(total, ascending.Select(e => e.GetProperty("id").GetString()).Distinct().Count());
        var times = ascending.Select(e => e.GetProperty("attributes").GetProperty("timestamp").GetInt64()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.Equal(ascending.Select(e => e.GetProperty("id").GetString()).Reverse(), descending.Select(e => e.GetProperty("id").GetString()));
        Assert.All(ascending.Take(50), e => Assert.Equal(
            DateTimeOffset.FromUnixTimeSeconds(e.GetProperty("attributes").GetProperty("timestamp").GetInt64()),
            e.GetProperty("attributes").GetProperty("datetime").GetDateTimeOffset()));

        (await client.GetJsonAsync("/api/events?page[size]=1001", HttpStatusCode.BadRequest)).Dispose();
        (await client.GetJsonAsync("/api/events?page[size]=0", HttpStatusCode.BadRequest)).Dispose();
        (await client.GetJsonAsync("/api/events?page[cursor]=nonsense", HttpStatusCode.BadRequest)).Dispose();
        (await client.GetJsonAsync("/api/events?filter=" + Uri.EscapeDataString("equals(campaign_id,'x')"), HttpStatusCode.BadRequest)).Dispose();
    }

    [Fact]
    public async Task Events_FilteredByProfileAndDatetime_AndIncludes()
    {
        var time = new FakeTimeProvider(_start);
        await using var sandbox = await StartAsync(time);
        SendAb(sandbox, time, recipients: 400, personalize: false);
        time.Advance(TimeSpan.FromDays(9));
        using var client = sandbox.CreateClient();
        var all = await AllEventsAsync(client, "page[size]=1000");
        var opener = all.First(e => MetricOf(e) == SandboxMetrics.ByCode(SandboxMetrics.OpenedEmail).Id);
        var profileId = ProfileOf(opener);

        var ofProfile = await AllEventsAsync(client, $"filter=equals(profile_id,'{profileId}')&include=metric,profile");
        Assert.Equal(all.Count(e => ProfileOf(e) == profileId), ofProfile.Count);
        Assert.All(ofProfile, e => Assert.Equal(profileId, ProfileOf(e)));
        using (var included = await client.GetJsonAsync($"/api/events?filter=equals(profile_id,'{profileId}')&include=metric,profile"))
        {
            var types = included.RootElement.GetProperty("included").EnumerateArray().Select(r => r.GetProperty("type").GetString()).ToList();
            Assert.Contains("metric", types);
            Assert.Equal(1, types.Count(t => t == "profile"));
        }

        var from = _start.AddHours(2);
        var to = _start.AddHours(8);
        var window = await AllEventsAsync(client, "filter=" + Uri.EscapeDataString(
            $"greater-or-equal(datetime,{from:yyyy-MM-ddTHH:mm:ssZ}),less-than(datetime,{to:yyyy-MM-ddTHH:mm:ssZ})"));
        var expected = all.Count(e => Time(e) >= from && Time(e) < to);
        Assert.True(expected > 0);
        Assert.Equal(expected, window.Count);
    }

    [Fact]
    public async Task Events_AppearAsTimePasses_NothingFromTheFuture()
    {
        var time = new FakeTimeProvider(_start);
        await using var sandbox = await StartAsync(time);
        SendAb(sandbox, time, recipients: 600, personalize: false);
        using var client = sandbox.CreateClient();
        var total = sandbox.Store.GetCampaignSends().Single().EventCount;

        time.Advance(TimeSpan.FromMinutes(1));
        var early = await AllEventsAsync(client, "page[size]=1000");
        time.Advance(TimeSpan.FromDays(9));
        var late = await AllEventsAsync(client, "page[size]=1000");

        Assert.InRange(early.Count, 1, total / 2);
        Assert.All(early, e => Assert.True(Time(e) <= _start.AddMinutes(1)));
        Assert.Equal(total, late.Count);
    }

    [Fact]
    public async Task PersonalizedMessage_GetsTheUplift_DeterministicBySeed()
    {
        var time = new FakeTimeProvider(_start);
        await using var sandbox = await StartAsync(time);
        var (campaign, _) = SendAb(sandbox, time, recipients: 20_000, personalize: true);
        var send = sandbox.Store.GetCampaignSend(campaign.Id)!;
        var tally = send.Tally(long.MaxValue, SandboxMetrics.PlacedOrder);

        // Only variation A looks the properties up: its recipients are personalized, B's are the control.
        Assert.Equal([10_000, 0], send.PersonalizedPerMessage);
        double OpenRate(int m) => tally.Counts[m, SandboxMetrics.OpenedEmail] / (double)tally.Counts[m, SandboxMetrics.ReceivedEmail];
        var rates = sandbox.Store.EmailRates;
        Assert.InRange(OpenRate(1), rates.Open - 0.02, rates.Open + 0.02);
        Assert.InRange(OpenRate(0), rates.Open * (1 + rates.Uplift) - 0.02, rates.Open * (1 + rates.Uplift) + 0.02);

        await using var again = await StartAsync(new FakeTimeProvider(_start));
        var (twin, _) = SendAb(again, new FakeTimeProvider(_start), recipients: 20_000, personalize: true);
        var twinTally = again.Store.GetCampaignSend(twin.Id)!.Tally(long.MaxValue, SandboxMetrics.PlacedOrder);
        Assert.Equal(tally.Counts.Cast<long>(), twinTally.Counts.Cast<long>());
        Assert.Equal(tally.ConversionValueCents, twinTally.ConversionValueCents);
    }

    [Fact]
    public async Task CampaignValuesReport_PerMessage_EqualsTheGeneratedEvents_OtherCampaignsExcludedByFilter()
    {
        var time = new FakeTimeProvider(_start);
        await using var sandbox = await StartAsync(time);
        var (campaign, _) = SendAb(sandbox, time, recipients: 3_000, personalize: true);
        var (other, _) = SendAb(sandbox, time, recipients: 500, personalize: false, name: "Other");
        time.Advance(TimeSpan.FromDays(9));
        using var client = sandbox.CreateClient();
        var events = await AllEventsAsync(client, "page[size]=1000");
        string Metric(byte code) => SandboxMetrics.ByCode(code).Id;

        using var response = await PostReportAsync(client, $"contains-any(campaign_id,[\"{campaign.Id}\"])",
            ["recipients", "delivered", "opens_unique", "open_rate", "clicks_unique", "click_rate", "conversions", "conversion_rate", "conversion_value", "revenue_per_recipient"],
            groupBy: ["campaign_id", "campaign_message_id"]);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var report = JsonDocument.Parse(body);
        var results = report.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("results").EnumerateArray().ToList();

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(campaign.Id, r.GetProperty("groupings").GetProperty("campaign_id").GetString()));
        foreach (var row in results)
        {
            var messageId = row.GetProperty("groupings").GetProperty("campaign_message_id").GetString();
            var mine = events.Where(e => (Property(e, "$message") ?? Property(e, "$attributed_message")) == messageId).ToList();
            var received = mine.Count(e => MetricOf(e) == Metric(SandboxMetrics.ReceivedEmail));
            var opened = mine.Count(e => MetricOf(e) == Metric(SandboxMetrics.OpenedEmail));
            var clicked = mine.Count(e => MetricOf(e) == Metric(SandboxMetrics.ClickedEmail));
            var orders = mine.Where(e => MetricOf(e) == Metric(SandboxMetrics.PlacedOrder)).ToList();
            var value = orders.Sum(o => (decimal)o.GetProperty("attributes").GetProperty("event_properties").GetProperty("$value").GetDouble());
            var stats = row.GetProperty("statistics");
            Assert.Equal(1_500, received);
            Assert.Equal(received, stats.GetProperty("recipients").GetInt32());
            Assert.Equal(received, stats.GetProperty("delivered").GetInt32());
            Assert.Equal(opened, stats.GetProperty("opens_unique").GetInt32());
            Assert.Equal(opened / (double)received, stats.GetProperty("open_rate").GetDouble(), 9);
            Assert.Equal(clicked, stats.GetProperty("clicks_unique").GetInt32());
            Assert.Equal(clicked / (double)received, stats.GetProperty("click_rate").GetDouble(), 9);
            Assert.Equal(orders.Count, stats.GetProperty("conversions").GetInt32());
            Assert.Equal(orders.Select(ProfileOf).Distinct().Count() / (double)received, stats.GetProperty("conversion_rate").GetDouble(), 9);
            Assert.Equal((double)value, stats.GetProperty("conversion_value").GetDouble(), 6);
            Assert.Equal((double)value / received, stats.GetProperty("revenue_per_recipient").GetDouble(), 6);
        }
        Assert.DoesNotContain(report.RootElement.GetProperty("data").GetProperty("relationships").GetProperty("campaigns").GetProperty("data").EnumerateArray(),
            c => c.GetProperty("id").GetString() == other.Id);
    }

    [Theory]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"key\":\"last_30_days\"}}", "conversion_metric_id")]
    [InlineData("{\"statistics\":[\"opens\",\"nope\"],\"timeframe\":{\"key\":\"last_30_days\"},\"conversion_metric_id\":\"PlcOr6\"}", "nope")]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"key\":\"last_30_days\"},\"conversion_metric_id\":\"Unknown\"}", "Unknown")]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"key\":\"last_30_days\"},\"conversion_metric_id\":\"PlcOr6\",\"group_by\":[\"campaign_id\"]}", "campaign_message_id")]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"key\":\"last_30_days\"},\"conversion_metric_id\":\"PlcOr6\",\"filter\":\"any(campaign_id,[\\\"a\\\"])\"}", "any")]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"key\":\"last_30_days\"},\"conversion_metric_id\":\"PlcOr6\",\"filter\":\"and(equals(campaign_id,\\\"a\\\"),equals(campaign_id,\\\"b\\\"))\"}", "one filter")]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"start\":\"2025-01-01T00:00:00+00:00\",\"end\":\"2026-06-01T00:00:00+00:00\"},\"conversion_metric_id\":\"PlcOr6\"}", "one year")]
    [InlineData("{\"statistics\":[\"opens\"],\"timeframe\":{\"key\":\"forever\"},\"conversion_metric_id\":\"PlcOr6\"}", "forever")]
    public async Task CampaignValuesReport_InvalidQuery_Answers400(string attributes, string detailMentions)
    {
        await using var sandbox = await StartAsync(new FakeTimeProvider(_start));
        using var client = sandbox.CreateClient();
        var body = $"{{\"data\":{{\"type\":\"campaign-values-report\",\"attributes\":{attributes}}}}}";

        using var response = await PostRawAsync(client, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(detailMentions, await response.ErrorDetailAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CampaignValuesReport_ThirdQueryWithinAMinute_Answers429WithRetryAfter()
    {
        var windows = new FakeTimeProvider(_start.AddSeconds(10));
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o => o.RateLimitTimeProvider = windows);
        using var client = sandbox.CreateClient();

        using (var first = await PostReportAsync(client, null, ["opens"]))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        using (var burst = await PostReportAsync(client, null, ["opens"]))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, burst.StatusCode);
        }
        windows.Advance(TimeSpan.FromSeconds(1));
        using (var second = await PostReportAsync(client, null, ["opens"]))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal("2", second.Headers.GetValues("RateLimit-Limit").Single());
        }
        windows.Advance(TimeSpan.FromSeconds(1));
        using var third = await PostReportAsync(client, null, ["opens"]);

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(48), third.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task CampaignValuesReport_DailyBudgetOf225_RefusedUntilTheNextUtcDay()
    {
        var windows = new FakeTimeProvider(new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o => o.RateLimitTimeProvider = windows);
        using var client = sandbox.CreateClient();

        for (var i = 0; i < 225; i++)
        {
            using var ok = await PostReportAsync(client, null, ["opens"]);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"query {i + 1}: {(int)ok.StatusCode}");
            windows.Advance(TimeSpan.FromSeconds(30));
        }
        using var refused = await PostReportAsync(client, null, ["opens"]);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var untilMidnight = new DateTimeOffset(2026, 11, 3, 0, 0, 0, TimeSpan.Zero) - windows.GetUtcNow();
        Assert.Equal(Math.Ceiling(untilMidnight.TotalSeconds), refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds);

        windows.SetUtcNow(new DateTimeOffset(2026, 11, 3, 0, 0, 1, TimeSpan.Zero));
        using var nextDay = await PostReportAsync(client, null, ["opens"]);
        Assert.Equal(HttpStatusCode.OK, nextDay.StatusCode);
    }

    [Fact]
    public async Task DemoSeed_HasASentAbCampaignWithEventsAtStart()
    {
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions { LargeListSize = 500 });
        var spring = sandbox.Store.GetCampaigns().Single(c => c.Name == SandboxSeeds.SentAbCampaign);

        var send = sandbox.Store.GetCampaignSend(spring.Id);

        Assert.Equal(CampaignStatuses.Sent, spring.Status);
        Assert.NotNull(send);
        Assert.Equal(2, send.Messages.Count);
        Assert.True(send.PersonalizedPerMessage[0] > 0);
        Assert.Equal(0, send.PersonalizedPerMessage[1]);
        using var client = sandbox.CreateClient();
        using var page = await client.GetJsonAsync($"/api/events?filter=equals(metric_id,'{SandboxMetrics.ByCode(SandboxMetrics.OpenedEmail).Id}')&page[size]=5");
        Assert.Equal(5, page.RootElement.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public void OneMillionRecipients_EventsStayWellUnder100MB()
    {
        var time = new FakeTimeProvider(_start);
        var store = new SandboxStore(new KlaviyoSandboxOptions { TimeProvider = time });
        var list = store.AddList("Everyone", 1_000_000);
        var campaign = store.AddCampaign("Big send", CampaignStatuses.Draft, null, [new MessageSeed("A", "S", "P", "<p>a</p>"), new MessageSeed("B", "S", "P", "<p>b</p>")], [list.Id]);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        store.SetCampaignStatus(campaign.Id, CampaignStatuses.Sent, _start);
        var send = store.GetCampaignSend(campaign.Id)!;
        var after = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(11, Unsafe.SizeOf<EmailEventRecord>());
        Assert.Equal(1_000_000, send.RecipientCount);
        Assert.True(send.EventCount > 1_000_000);
        var bytesPerEvent = (after - before) / (double)send.EventCount;
        // Recipients (8 bytes each) plus 11 bytes per event is about 17 bytes per event; other tests run alongside.
        Assert.True(after - before < 100L * 1024 * 1024, $"{(after - before) / 1024 / 1024} MB retained");
        output.WriteLine($"{send.EventCount:N0} events of 1,000,000 recipients: {(after - before) / 1024.0 / 1024.0:0.0} MB retained, {bytesPerEvent.ToString("0.0", CultureInfo.InvariantCulture)} bytes per event");
        Assert.True(bytesPerEvent < 40, $"{bytesPerEvent.ToString("0.0", CultureInfo.InvariantCulture)} bytes per event");
        GC.KeepAlive(send);
    }

    // ---- helpers ----

    internal static Task<KlaviyoSandboxServer> StartAsync(FakeTimeProvider time) =>
        SandboxTestHelpers.StartEmptyAsync(o =>
        {
            o.TimeProvider = time;
            o.RateLimitMultiplier = 1000;
        });

    /// <summary>
    /// A Sent A/B campaign now: variation A looks up refly_t_a_intro (personalized when the recipients hold it), B is
    /// the control. With <paramref name="personalize"/> every recipient holds the property, as after a Refly run.
    /// </summary>
    internal static (SandboxCampaign Campaign, SandboxGroup List) SendAb(
        KlaviyoSandboxServer sandbox, TimeProvider time, int recipients, bool personalize, string name = "Spring A/B")
    {
        var store = sandbox.Store;
        var list = store.AddList(name + " audience", recipients);
        if (personalize)
        {
            for (var i = 0L; i < recipients; i++)
            {
                store.SetProfileProperties(ProfileGenerator.IdFor(list.GeneratedStart + i), new Dictionary<string, object?> { ["refly_t_a_intro"] = "Hi" });
            }
        }
        var campaign = store.AddCampaign(name, CampaignStatuses.Draft, null,
            [
                new MessageSeed("A", "Subject A", "Preview", "<p>{{ person|lookup:'refly_t_a_intro'|default:'Hello' }}</p>"),
                new MessageSeed("B", "Subject B", "Preview", "<p>Hello</p>"),
            ],
            [list.Id]);
        store.SetCampaignStatus(campaign.Id, CampaignStatuses.Sent, time.GetUtcNow());
        return (store.GetCampaign(campaign.Id)!, list);
    }

    internal static async Task<List<JsonElement>> AllEventsAsync(HttpClient client, string query)
    {
        var events = new List<JsonElement>();
        string? next = "/api/events?" + query;
        var pages = 0;
        while (next is not null)
        {
            Assert.True(++pages < 10_000, "pagination does not end");
            using var doc = await client.GetJsonAsync(next);
            events.AddRange(doc.RootElement.GetProperty("data").EnumerateArray().Select(e => e.Clone()));
            next = doc.RootElement.GetProperty("links").TryGetProperty("next", out var link) ? link.GetString() : null;
        }
        return events;
    }

    internal static Task<HttpResponseMessage> PostReportAsync(HttpClient client, string? filter, string[] statistics, string[]? groupBy = null, object? timeframe = null) =>
        client.SendJsonAsync(HttpMethod.Post, "/api/campaign-values-reports", new
        {
            data = new
            {
                type = "campaign-values-report",
                attributes = new Dictionary<string, object?>
                {
                    ["statistics"] = statistics,
                    ["timeframe"] = timeframe ?? new { start = "2026-10-01T00:00:00+00:00", end = "2026-12-01T00:00:00+00:00" },
                    ["conversion_metric_id"] = SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder).Id,
                    ["group_by"] = groupBy,
                    ["filter"] = filter,
                },
            },
        });

    private static async Task<HttpResponseMessage> PostRawAsync(HttpClient client, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/campaign-values-reports") { Content = new StringContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.api+json");
        return await client.SendAsync(request);
    }

    private static string MetricId(JsonDocument metrics, string name) =>
        metrics.RootElement.GetProperty("data").EnumerateArray().Single(m => m.GetProperty("attributes").GetProperty("name").GetString() == name).GetProperty("id").GetString()!;

    private static string ProfileOf(JsonElement e) => e.GetProperty("relationships").GetProperty("profile").GetProperty("data").GetProperty("id").GetString()!;

    private static string MetricOf(JsonElement e) => e.GetProperty("relationships").GetProperty("metric").GetProperty("data").GetProperty("id").GetString()!;

    private static string? Property(JsonElement e, string name) =>
        e.GetProperty("attributes").GetProperty("event_properties").TryGetProperty(name, out var v) ? v.GetString() : null;

    private static DateTimeOffset Time(JsonElement e) => DateTimeOffset.FromUnixTimeSeconds(e.GetProperty("attributes").GetProperty("timestamp").GetInt64());
}
