using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>The automation API over real HTTP against the whole app in demo mode.</summary>
public sealed class AutomationApiTests : IClassFixture<DemoAppFixture>
{
    private readonly DemoAppFixture _app;

    public AutomationApiTests(DemoAppFixture app) => _app = app;

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task Campaigns_WithoutOrWithWrongToken_Returns401ProblemDetails(string? token)
    {
        using var client = _app.Factory.CreateHttpClient(token);

        using var response = await client.GetAsync("/api/v1/campaigns");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Campaigns_WithToken_MatchTheSandbox()
    {
        await _app.WaitForSyncAsync();
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var json = JsonDocument.Parse(await client.GetStringAsync("/api/v1/campaigns"));

        var expected = _app.Factory.Sandbox.Store.GetCampaigns();
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(expected.Select(c => c.Id).Order(), items.Select(i => i.GetProperty("id").GetString()).Order());
        foreach (var campaign in expected)
        {
            var item = items.Single(i => i.GetProperty("id").GetString() == campaign.Id);
            Assert.Equal(campaign.Name, item.GetProperty("name").GetString());
            Assert.Equal(CampaignStatusMapper.Map(campaign.Status).ToString(), item.GetProperty("status").GetString());
            Assert.Equal(campaign.Messages.Count, item.GetProperty("messages").GetArrayLength());
        }
    }

    [Fact]
    public async Task Campaign_UnknownId_Returns404WithReason()
    {
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.GetAsync("/api/v1/campaigns/does-not-exist");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("does-not-exist", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CampaignRuns_ListsEveryRunNewestFirst_And404ForAnUnknownCampaign()
    {
        await _app.WaitForSyncAsync();
        var sent = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Sent);
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        var tagRun = await RunHistorySeed.AddFinishedRunAsync(_app.Factory.Services, sent.Id, RunState.Cancelled, RunTrigger.Tag, "Refly: Personalize", 1_000, 430, start, TimeSpan.FromMinutes(1));
        var manual = await RunHistorySeed.AddFinishedRunAsync(_app.Factory.Services, sent.Id, RunState.Completed, RunTrigger.Manual, "ana@example.com", 1_000, 1_000, start.AddHours(1), TimeSpan.FromMinutes(2));
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var json = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/campaigns/{sent.Id}/runs"));
        using var unknown = await client.GetAsync("/api/v1/campaigns/does-not-exist/runs");

        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal([manual.Id, tagRun.Id], items.Select(i => i.GetProperty("id").GetGuid()));
        Assert.Equal("Tag", items[1].GetProperty("trigger").GetString());
        Assert.Equal("Refly: Personalize", items[1].GetProperty("startedBy").GetString());
        Assert.Equal("Cancelled", items[1].GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task StartPersonalization_SentCampaign_Returns422WithTheReason()
    {
        await _app.WaitForSyncAsync();
        var sent = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Sent);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{sent.Id}/personalization", new { messageIds = new[] { sent.Messages[0].Id } });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("has been sent", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartPersonalization_NoMessageSelected_Returns400()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization", new { messageIds = Array.Empty<string>() });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("Select at least one message", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancelPersonalization_NoActiveRun_Returns409()
    {
        await _app.WaitForSyncAsync();
        var sent = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Sent);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.DeleteAsync($"/api/v1/campaigns/{sent.Id}/personalization");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
    }
}

/// <summary>One demo-mode app for a test class (small generated lists to keep start-up quick).</summary>
public sealed class DemoAppFixture : IAsyncLifetime
{
    public DemoAppFixture()
        : this(new Dictionary<string, string?> { ["Sandbox:LargeListSize"] = "2000" })
    {
    }

    internal DemoAppFixture(IDictionary<string, string?> settings) => Factory = new(settings);

    public ReflyAppFactory Factory { get; }

    public async Task WaitForSyncAsync()
    {
        var status = (SyncStatus)Factory.Services.GetService(typeof(SyncStatus))!;
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(status.LastSuccessAt is not null), TimeSpan.FromSeconds(30)), status.LastError ?? "no sync yet");
    }

    public Task InitializeAsync()
    {
        _ = Factory.ServerAddress;
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Factory.DisposeAsync();
}
