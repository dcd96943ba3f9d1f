using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>The automation API's <c>holdoutShare</c> on start and the run resource's held-out count.</summary>
public sealed class HoldoutApiTests : IAsyncLifetime
{
    private readonly DemoAppFixture _app = new(new Dictionary<string, string?> { ["Sandbox:LargeListSize"] = "2000" });

    [Theory]
    [InlineData(0.6)]
    [InlineData(-0.1)]
    public async Task Start_WithAHoldoutShareOutsideZeroToHalf_Returns400OnTheField(double share)
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new { messageIds = new[] { draft.Messages[0].Id }, holdoutShare = share });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var error = Assert.Single(problem.GetProperty("errors").EnumerateArray());
        Assert.Equal("InvalidHoldout", error.GetProperty("code").GetString());
        Assert.Equal("holdoutShare", error.GetProperty("field").GetString());
        Assert.Contains("between 0 and 0.5", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(_app.Factory.Sandbox.Store.GetImportJobs());
    }

    [Fact]
    public async Task Start_WithAHoldoutShare_TheRunResourceShowsTheHeldOutCount()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new { messageIds = new[] { draft.Messages[0].Id }, holdoutShare = 0.2 });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runUrl = response.Headers.Location!.ToString();
        JsonElement run = default;
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
        {
            run = await client.GetFromJsonAsync<JsonElement>(runUrl);
            return run.GetProperty("state").GetString() == "Completed";
        }, TimeSpan.FromSeconds(120)), $"the run did not complete: {run}");
        Assert.Equal(0.2, run.GetProperty("holdoutShare").GetDouble());
        var heldOut = run.GetProperty("heldOut").GetInt64();
        var written = run.GetProperty("written").GetInt64();
        Assert.True(heldOut > 0, $"{run}");
        Assert.Equal(written + run.GetProperty("failed").GetInt64() + heldOut, run.GetProperty("processed").GetInt64());
        Assert.InRange(heldOut / (double)(heldOut + written), 0.1, 0.3);
    }

    public Task InitializeAsync() => _app.InitializeAsync();

    public Task DisposeAsync() => _app.DisposeAsync();
}
