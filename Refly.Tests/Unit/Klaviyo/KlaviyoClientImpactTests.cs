using System.Net;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>The requests the impact calls send and how Klaviyo-shaped answers (with members to ignore) are read.</summary>
public sealed class KlaviyoClientImpactTests
{
    private static readonly DateTimeOffset _from = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task GetEventsPage_FiltersMetricAndWindow_SortsByDatetime_PagesOf1000_AndReadsMessageProperties()
    {
        const string page = """
            {
              "data": [
                { "type": "event", "id": "E1",
                  "attributes": { "timestamp": 1762074000, "datetime": "2026-11-02T09:00:00+00:00", "uuid": "u",
                    "event_properties": { "$message": "MSG1", "Subject": "Hi", "$extra": [1] } },
                  "relationships": { "profile": { "data": { "type": "profile", "id": "P1" } }, "metric": { "data": { "type": "metric", "id": "OPN" } } },
                  "links": { "self": "x" } },
                { "type": "event", "id": "E2",
                  "attributes": { "datetime": "2026-11-02T10:00:00+00:00", "event_properties": { "$attributed_message": "MSG2", "$value": "19.90" } },
                  "links": { "self": "x" } }
              ],
              "links": { "self": "x", "next": "https://a.klaviyo.com/api/events?page%5Bcursor%5D=abc%3D%3D&page%5Bsize%5D=1000" }
            }
            """;
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(page));

        var result = await host.Client.GetEventsPageAsync(new KlaviyoEventQuery("OPN", _from, _from.AddDays(7), "P1"), "prev", CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal("/api/events", request.Path);
        Assert.Equal("and(equals(metric_id,'OPN'),greater-or-equal(datetime,2026-11-02T09:00:00Z),less-than(datetime,2026-11-09T09:00:00Z),equals(profile_id,'P1'))",
            request.Query["filter"]);
        Assert.Equal("datetime", request.Query["sort"]);
        Assert.Equal("1000", request.Query["page[size]"]);
        Assert.Equal("prev", request.Query["page[cursor]"]);
        Assert.Equal("abc==", result.NextCursor);
        Assert.Equal(new KlaviyoEvent("E1", "OPN", "P1", _from, "MSG1", null, null), result.Items[0]);
        // No linkage: the metric is the one filtered on; a $value may arrive as a string.
        Assert.Equal(new KlaviyoEvent("E2", "OPN", null, _from.AddHours(1), null, "MSG2", 19.90m), result.Items[1]);
    }

    [Fact]
    public async Task QueryCampaignValues_PostsTheSpecsBody_AndReadsRowsPerMessage()
    {
        const string answer = """
            { "data": { "type": "campaign-values-report", "attributes": { "results": [
                { "groupings": { "campaign_id": "C1", "campaign_message_id": "M1", "send_channel": "email" }, "statistics": { "recipients": 100, "open_rate": 0.25 } },
                { "groupings": { "campaign_id": "C1", "campaign_message_id": "M2", "send_channel": "email" }, "statistics": { "recipients": 0, "open_rate": null } }
              ] }, "relationships": { "campaigns": { "data": [ { "type": "campaign", "id": "C1" } ] } } },
              "links": { "self": "x" } }
            """;
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(answer));

        var rows = await host.Client.QueryCampaignValuesAsync(
            new KlaviyoCampaignValuesQuery(["C1", "C\"2"], ["recipients", "open_rate"], "PLC", _from, _from.AddDays(7)), CancellationToken.None);

        var request = Assert.Single(host.Handler.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("/api/campaign-values-reports", request.Path);
        var attributes = request.Json.GetProperty("data").GetProperty("attributes");
        Assert.Equal("campaign-values-report", request.Json.GetProperty("data").GetProperty("type").GetString());
        Assert.Equal("contains-any(campaign_id,[\"C1\",\"C\\\"2\"])", attributes.GetProperty("filter").GetString());
        Assert.Equal("PLC", attributes.GetProperty("conversion_metric_id").GetString());
        Assert.Equal("2026-11-02T09:00:00+00:00", attributes.GetProperty("timeframe").GetProperty("start").GetString());
        Assert.Equal(["campaign_id", "campaign_message_id", "send_channel"], attributes.GetProperty("group_by").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(2, rows.Count);
        Assert.Equal(("C1", "M1", "email", 100.0, 0.25), (rows[0].CampaignId, rows[0].MessageId, rows[0].SendChannel, rows[0].Statistics["recipients"], rows[0].Statistics["open_rate"]));
        Assert.True(double.IsNaN(rows[1].Statistics["open_rate"]));
    }

    [Fact]
    public async Task QueryCampaignValues_MoreThan100Campaigns_IsRefusedBeforeAnyRequest()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Error(HttpStatusCode.BadRequest));
        var ids = Enumerable.Range(0, 101).Select(i => $"C{i}").ToList();

        await Assert.ThrowsAsync<ArgumentException>(() => host.Client.QueryCampaignValuesAsync(
            new KlaviyoCampaignValuesQuery(ids, ["recipients"], "PLC", _from, _from.AddDays(1)), CancellationToken.None));
        Assert.Empty(host.Handler.Requests);
    }

    [Fact]
    public async Task GetMetrics_FollowsEveryPage()
    {
        using var host = new KlaviyoTestHost((request, index) => FakeKlaviyoHandler.Json(index == 0
            ? KlaviyoJson.Collection(["""{"type":"metric","id":"M1","attributes":{"name":"Opened Email","integration":{"name":"Klaviyo","category":"Internal"}},"links":{"self":"x"}}"""],
                next: "https://a.klaviyo.com/api/metrics?page%5Bcursor%5D=p2")
            : KlaviyoJson.Collection(["""{"type":"metric","id":"M2","attributes":{"name":"Placed Order","integration":null},"links":{"self":"x"}}"""])));

        var metrics = await host.Client.GetMetricsAsync(CancellationToken.None);

        Assert.Equal([new KlaviyoMetric("M1", "Opened Email", "Klaviyo", "Internal"), new KlaviyoMetric("M2", "Placed Order", null, null)], metrics);
        Assert.Equal("p2", host.Handler.Requests[1].Query["page[cursor]"]);
    }
}
