using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>The campaign brief in the automation API: GET/PUT /campaigns/{id}/brief and <c>brief</c> on a start.</summary>
public sealed class BriefApiTests : IClassFixture<DemoAppFixture>
{
    private readonly DemoAppFixture _app;

    public BriefApiTests(DemoAppFixture app) => _app = app;

    [Fact]
    public async Task Brief_NothingSaved_IsTheDefault_ThenPutSavesItNormalized()
    {
        await _app.WaitForSyncAsync();
        var campaign = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Sent);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var before = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/campaigns/{campaign.Id}/brief"));
        Assert.False(before.RootElement.GetProperty("saved").GetBoolean());
        Assert.Equal(JsonValueKind.Null, before.RootElement.GetProperty("brief").GetProperty("allowedFacts").ValueKind);

        using var put = await client.PutAsJsonAsync($"/api/v1/campaigns/{campaign.Id}/brief", new
        {
            goal = " Early access for VIPs ",
            tone = "warm",
            avoidWords = new[] { "cheap", "Cheap" },
            allowedFacts = new[] { "LoyaltyTier", "location" },
            language = "en",
        });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        using var after = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/campaigns/{campaign.Id}/brief"));
        var brief = after.RootElement.GetProperty("brief");
        Assert.True(after.RootElement.GetProperty("saved").GetBoolean());
        Assert.Equal("Early access for VIPs", brief.GetProperty("goal").GetString());
        Assert.Equal(["cheap"], brief.GetProperty("avoidWords").EnumerateArray().Select(w => w.GetString()));
        Assert.Equal(["LoyaltyTier", "Location"], brief.GetProperty("allowedFacts").EnumerateArray().Select(w => w.GetString()));
        var stored = await _app.Factory.Services.GetRequiredService<CampaignBriefStore>().GetAsync(campaign.Id, default);
        Assert.Equal([BriefFact.LoyaltyTier, BriefFact.Location], stored.AllowedFacts);
    }

    [Fact]
    public async Task PutBrief_Invalid_Returns400WithEachFieldsProblem()
    {
        await _app.WaitForSyncAsync();
        var campaign = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Sent);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var badFact = await client.PutAsJsonAsync($"/api/v1/campaigns/{campaign.Id}/brief", new { allowedFacts = new[] { "Email" } });
        using var badFields = await client.PutAsJsonAsync($"/api/v1/campaigns/{campaign.Id}/brief", new { goal = new string('g', 301), language = "klingon" });

        Assert.Equal(HttpStatusCode.BadRequest, badFact.StatusCode);
        Assert.Equal("application/problem+json", badFact.Content.Headers.ContentType?.MediaType);
        using var fact = JsonDocument.Parse(await badFact.Content.ReadAsStringAsync());
        Assert.Equal("allowedFacts[0]", fact.RootElement.GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Contains("'Email' is no known fact", fact.RootElement.GetProperty("detail").GetString(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.BadRequest, badFields.StatusCode);
        using var fields = JsonDocument.Parse(await badFields.Content.ReadAsStringAsync());
        var named = fields.RootElement.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("field").GetString()).ToList();
        Assert.Contains("goal", named);
        Assert.Contains("language", named);
        Assert.Null(await _app.Factory.Services.GetRequiredService<CampaignBriefStore>().FindAsync(campaign.Id, default));
    }

    [Fact]
    public async Task Brief_UnknownCampaign_Returns404()
    {
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var get = await client.GetAsync("/api/v1/campaigns/nope/brief");
        using var put = await client.PutAsJsonAsync("/api/v1/campaigns/nope/brief", new { goal = "x" });

        Assert.Equal(HttpStatusCode.NotFound, get.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, put.StatusCode);
    }

    [Fact]
    public async Task StartPersonalization_InvalidBrief_Returns400AndStartsNothing()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().Last(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        var runsBefore = await RunCountAsync(draft.Id);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new { messageIds = new[] { draft.Messages[0].Id }, brief = new { language = "xx", avoidWords = new[] { " " } } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var errors = json.RootElement.GetProperty("errors").EnumerateArray().ToList();
        Assert.All(errors, e => Assert.Equal(StartRunErrors.InvalidBrief, e.GetProperty("code").GetString()));
        Assert.Contains(errors, e => e.GetProperty("field").GetString() == "brief.language");
        Assert.Equal(runsBefore, await RunCountAsync(draft.Id));
    }

    private async Task<int> RunCountAsync(string campaignId)
    {
        await using var db = await _app.Factory.Services.GetRequiredService<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.Runs.CountAsync(r => r.CampaignKlaviyoId == campaignId);
    }

    [Fact]
    public async Task StartPersonalization_WithBrief_SavesItAndTheRunUsesIt()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new { messageIds = new[] { draft.Messages[0].Id }, brief = new { goal = "Win back lapsed customers", tone = "formal", allowedFacts = new[] { "OrderRecency" } } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var runId = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
        var run = await _app.Factory.Services.GetRequiredService<RunStore>().GetAsync(runId, default);
        Assert.Equal("Win back lapsed customers", run!.Brief!.Goal);
        Assert.Equal([BriefFact.OrderRecency], run.Brief.AllowedFacts);
        using var saved = JsonDocument.Parse(await client.GetStringAsync($"/api/v1/campaigns/{draft.Id}/brief"));
        Assert.Equal("formal", saved.RootElement.GetProperty("brief").GetProperty("tone").GetString());
        await client.DeleteAsync($"/api/v1/campaigns/{draft.Id}/personalization");
    }
}
