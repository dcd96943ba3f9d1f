using System.Net;
using System.Text.Json;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>
/// GET /api/v1/campaigns/{campaignId}/impact and POST .../impact/refresh over real HTTP against the app in demo mode:
/// the demo's Sent A/B campaign gets its results from the report read at start-up.
/// </summary>
public sealed class ImpactApiTests : IClassFixture<DemoAppFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(60);
    private readonly DemoAppFixture _app;

    public ImpactApiTests(DemoAppFixture app) => _app = app;

    [Fact]
    public async Task Impact_OfTheDemosSentAbCampaign_AnswersEachMessageTheLiftTheSourceAndFetchedAt()
    {
        await _app.WaitForSyncAsync();
        var spring = _app.Factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == SandboxSeeds.SentAbCampaign);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var json = await WaitForImpactAsync(client, spring.Id);

        var root = json.RootElement;
        var messages = root.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(spring.Messages.Select(m => m.Id), messages.Select(m => m.GetProperty("messageId").GetString()));
        // Variation A was sent looking up Refly's properties; B is the control.
        Assert.True(messages[0].GetProperty("personalized").GetBoolean());
        Assert.False(messages[1].GetProperty("personalized").GetBoolean());
        var send = _app.Factory.Sandbox.Store.GetCampaignSend(spring.Id)!;
        var tally = send.Tally(long.MaxValue, SandboxMetrics.PlacedOrder);
        for (var m = 0; m < messages.Count; m++)
        {
            Assert.Equal(tally.Counts[m, SandboxMetrics.ReceivedEmail], messages[m].GetProperty("recipients").GetInt64());
            foreach (var rate in new[] { "openRate", "clickRate", "conversionRate" })
            {
                Assert.InRange(messages[m].GetProperty(rate).GetDouble(), 0, 1);
            }
            Assert.True(messages[m].GetProperty("revenuePerRecipient").GetDouble() >= 0);
        }
        Assert.True(messages[0].GetProperty("openRate").GetDouble() > messages[1].GetProperty("openRate").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("holdout").ValueKind);
        Assert.Equal("reporting", root.GetProperty("source").GetString());
        Assert.True(root.GetProperty("fetchedAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(-10));
        var lift = root.GetProperty("lift").EnumerateArray().ToList();
        Assert.Equal(["openRate", "clickRate", "conversionRate", "revenuePerRecipient"], lift.Select(l => l.GetProperty("metric").GetString()));
        var opens = lift[0];
        var absolute = opens.GetProperty("absolute").GetDouble();
        Assert.Equal(messages[0].GetProperty("openRate").GetDouble() - messages[1].GetProperty("openRate").GetDouble(), absolute, 9);
        Assert.True(opens.GetProperty("low").GetDouble() < absolute && absolute < opens.GetProperty("high").GetDouble());
        Assert.Equal(opens.GetProperty("low").GetDouble() > 0 || opens.GetProperty("high").GetDouble() < 0, opens.GetProperty("significant").GetBoolean());
        Assert.Equal(JsonValueKind.Null, lift[3].GetProperty("low").ValueKind);
    }

    [Fact]
    public async Task Impact_UnknownCampaignIs404_ACampaignNotSentIsAProblem_AndATokenIsRequired()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        await AssertProblemAsync(await client.GetAsync("/api/v1/campaigns/NOSUCHCAMPAIGN/impact"), HttpStatusCode.NotFound, "NOSUCHCAMPAIGN");
        await AssertProblemAsync(await client.GetAsync($"/api/v1/campaigns/{draft.Id}/impact"), HttpStatusCode.Conflict, "not Sent");
        await AssertProblemAsync(await client.PostAsync("/api/v1/campaigns/NOSUCHCAMPAIGN/impact/refresh", null), HttpStatusCode.NotFound, "NOSUCHCAMPAIGN");
        await AssertProblemAsync(await client.PostAsync($"/api/v1/campaigns/{draft.Id}/impact/refresh", null), HttpStatusCode.Conflict, "not Sent");
        using var anonymous = _app.Factory.CreateHttpClient(null);
        using var unauthorized = await anonymous.GetAsync($"/api/v1/campaigns/{draft.Id}/impact");
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    [Fact]
    public async Task Refresh_OfASentCampaign_Is202WithWhereToReadIt()
    {
        await _app.WaitForSyncAsync();
        var spring = _app.Factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == SandboxSeeds.SentAbCampaign);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsync($"/api/v1/campaigns/{spring.Id}/impact/refresh", null);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
        Assert.Equal($"/api/v1/campaigns/{spring.Id}/impact", response.Headers.Location?.OriginalString);
        using var json = JsonDocument.Parse(body);
        Assert.Equal(spring.Id, json.RootElement.GetProperty("campaignId").GetString());
        Assert.True(json.RootElement.GetProperty("queriesLeftToday").GetInt32() > 0);
    }

    [Fact]
    public async Task Refresh_WhenTheDailyBudgetIsSpent_Is429WithRetryAfterAndTheNextAllowedTime()
    {
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?>
        {
            ["Sandbox:LargeListSize"] = "500",
            ["Impact:Reporting:DailyQueryBudget"] = "1",
        });
        using var client = factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        var spring = factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == SandboxSeeds.SentAbCampaign);
        // The read at start-up spends the day's one query.
        (await WaitForImpactAsync(client, spring.Id)).Dispose();

        using var response = await client.PostAsync($"/api/v1/campaigns/{spring.Id}/impact/refresh", null);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.TooManyRequests, body);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        using var json = JsonDocument.Parse(body);
        var next = json.RootElement.GetProperty("nextAllowedAt").GetDateTimeOffset();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(TimeSpan.Zero, next.TimeOfDay);
        Assert.InRange(next, now, now.AddDays(1).AddMinutes(1));
        Assert.Equal("budget_spent", json.RootElement.GetProperty("code").GetString());
    }

    private static async Task<JsonDocument> WaitForImpactAsync(HttpClient client, string campaignId)
    {
        var until = DateTime.UtcNow + _timeout;
        string last;
        do
        {
            using var response = await client.GetAsync($"/api/v1/campaigns/{campaignId}/impact");
            last = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return JsonDocument.Parse(last);
            }
            Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < until);
        throw new Xunit.Sdk.XunitException($"No results within {_timeout}: {last}");
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string detail)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Contains(detail, body, StringComparison.Ordinal);
        }
    }
}
