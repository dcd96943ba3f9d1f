using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>The automation API's <c>personalizer</c> on start and the run resource's personalization fields (demo mode's built-in model).</summary>
public sealed class PersonalizerApiTests : IAsyncLifetime
{
    private readonly DemoAppFixture _app = new(new Dictionary<string, string?> { ["Sandbox:LargeListSize"] = "2000", ["Personalization:Personalizer"] = "llm" });

    [Fact]
    public async Task Start_WithHybrid_TheRunResourceShowsThePersonalizerSplitCallsAndTokens()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new { messageIds = new[] { draft.Messages[0].Id }, personalizer = "hybrid" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var started = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("hybrid", started.GetProperty("personalizer").GetString());
        var runUrl = response.Headers.Location!.ToString();
        JsonElement run = default;
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
        {
            run = await client.GetFromJsonAsync<JsonElement>(runUrl);
            return run.GetProperty("countsBySource").GetProperty("model").GetInt64() > 0;
        }, TimeSpan.FromSeconds(90)), $"no model-written contact confirmed: {run}");
        Assert.Equal("hybrid", run.GetProperty("personalizer").GetString());
        Assert.True(run.GetProperty("modelCalls").GetInt64() > 0);
        Assert.True(run.GetProperty("tokens").GetProperty("input").GetInt64() > 0);
        Assert.True(run.GetProperty("tokens").GetProperty("output").GetInt64() > 0);
        Assert.True(run.GetProperty("distinctGroups").GetInt64() > 0);
        Assert.True(run.GetProperty("cacheHits").GetInt64() >= 0);
        Assert.Equal(0, run.GetProperty("countsBySource").GetProperty("original").GetInt64());
        // No prices in Settings: no cost.
        Assert.Equal(JsonValueKind.Null, run.GetProperty("cost").ValueKind);
        await client.DeleteAsync($"/api/v1/campaigns/{draft.Id}/personalization");
    }

    [Fact]
    public async Task Start_WithAnUnknownPersonalizer_Returns422NamingTheChoices()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new { messageIds = new[] { draft.Messages[0].Id }, personalizer = "gpt-5" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("Unknown personalizer 'gpt-5'", body, StringComparison.Ordinal);
        Assert.Contains("UnknownPersonalizer", body, StringComparison.Ordinal);
    }

    public Task InitializeAsync() => _app.InitializeAsync();

    public Task DisposeAsync() => _app.DisposeAsync();
}
