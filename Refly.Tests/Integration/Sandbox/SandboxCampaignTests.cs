using System.Net;
using Microsoft.Extensions.Time.Testing;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Integration.Sandbox;

public sealed class SandboxCampaignTests
{
    private const string EmailFilter = "filter=equals(messages.channel,'email')";

    [Fact]
    public async Task Campaigns_WithIncludeMessagesAndTags_ReturnsIncludedResources()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 10);
        var campaign = sandbox.Store.AddCampaign("A/B", CampaignStatuses.Scheduled, DateTimeOffset.UtcNow.AddDays(1),
            [new MessageSeed("A", "Subject A", "Preview A", "<p>A</p>"), new MessageSeed("B", "Subject B", "Preview B", "<p>B</p>")],
            [list.Id], tags: [SandboxSeeds.PersonalizeTag]);
        using var client = sandbox.CreateClient();

        using var doc = await client.GetJsonAsync($"/api/campaigns?{EmailFilter}&include=campaign-messages,tags");

        var data = Assert.Single(doc.RootElement.GetProperty("data").EnumerateArray());
        Assert.Equal(campaign.Id, data.GetProperty("id").GetString());
        Assert.Equal("Scheduled", data.GetProperty("attributes").GetProperty("status").GetString());
        Assert.Equal(2, data.GetProperty("relationships").GetProperty("campaign-messages").GetProperty("data").GetArrayLength());
        var included = doc.RootElement.GetProperty("included").EnumerateArray().ToList();
        Assert.Equal(2, included.Count(i => i.GetProperty("type").GetString() == "campaign-message"));
        var tag = Assert.Single(included, i => i.GetProperty("type").GetString() == "tag");
        Assert.Equal(SandboxSeeds.PersonalizeTag, tag.GetProperty("attributes").GetProperty("name").GetString());
        Assert.Contains(included, i => i.GetProperty("attributes").GetProperty("definition").GetProperty("content").GetProperty("subject").GetString() == "Subject B");
    }

    [Fact]
    public async Task Campaigns_SeveralPages_FollowNextLinksWithoutDuplicates()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        for (var i = 0; i < 5; i++)
        {
            sandbox.Store.AddCampaign($"Campaign {i}");
        }
        using var client = sandbox.CreateClient();

        var ids = new List<string>();
        string? url = $"/api/campaigns?{EmailFilter}&page[size]=2";
        var pages = 0;
        while (url is not null)
        {
            using var doc = await client.GetJsonAsync(url);
            ids.AddRange(doc.RootElement.GetProperty("data").EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
            url = doc.RootElement.GetProperty("links").TryGetProperty("next", out var next) ? next.GetString() : null;
            pages++;
        }

        Assert.Equal(3, pages);
        Assert.Equal(5, ids.Distinct().Count());
    }

    [Fact]
    public async Task Campaigns_WithoutChannelFilter_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.GetAsync("/api/campaigns");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("channel filter is required", await response.ErrorDetailAsync());
    }

    [Fact]
    public async Task Campaigns_WithFilterOnFieldTheSpecDoesNotAllow_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.GetAsync($"/api/campaigns?filter=and(equals(messages.channel,'email'),equals(name,'x'))");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Request_WithWrongKey_Returns401()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = new HttpClient { BaseAddress = sandbox.BaseUrl };
        client.DefaultRequestHeaders.Add("Authorization", "Klaviyo-API-Key pk_wrong");
        client.DefaultRequestHeaders.Add("revision", "2026-07-15");

        using var response = await client.GetAsync("/api/accounts");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("authentication_failed", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Request_WithoutRevision_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = new HttpClient { BaseAddress = sandbox.BaseUrl };
        client.DefaultRequestHeaders.Add("Authorization", $"Klaviyo-API-Key {sandbox.ApiKey}");

        using var response = await client.GetAsync("/api/accounts");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Tags_OverTheBurstLimit_Return429WithRetryAfter()
    {
        // Tags allow 3/s; a multiplier of 0.3 leaves 1/s, so of six quick requests (spanning at most two windows) some are throttled.
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o => o.RateLimitMultiplier = 0.3);
        using var client = sandbox.CreateClient();

        var statuses = new List<HttpResponseMessage>();
        for (var i = 0; i < 6; i++)
        {
            statuses.Add(await client.GetAsync("/api/tags"));
        }

        var throttled = statuses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.True(throttled.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Contains("throttled", await throttled.Content.ReadAsStringAsync());
        Assert.True(sandbox.Store.Counters.ThrottledFor("get_tags") >= 1);
        Assert.Equal(6, sandbox.Store.Counters.RequestsFor("get_tags"));
        statuses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task UnknownQueryParameter_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.GetAsync($"/api/campaigns?{EmailFilter}&pagesize=10");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task UnknownBodyField_Returns400()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var campaign = sandbox.Store.AddCampaign("Draft");
        using var client = sandbox.CreateClient();
        var body = new
        {
            data = new
            {
                type = "campaign-message",
                id = campaign.Messages[0].Id,
                attributes = new { definition = new { channel = "email", content = new { subject = "x", headline = "unknown" } } },
            },
        };

        using var response = await client.SendJsonAsync(HttpMethod.Patch, $"/api/campaign-messages/{campaign.Messages[0].Id}", body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(campaign.Messages[0].Subject, sandbox.Store.GetMessage(campaign.Messages[0].Id)!.Subject);
    }

    [Fact]
    public async Task ContentEdit_WhenScheduled_IsRefusedAndAllowedAfterRevert()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 5);
        var campaign = sandbox.Store.AddCampaign("Scheduled", CampaignStatuses.Scheduled, DateTimeOffset.UtcNow.AddHours(3), included: [list.Id]);
        var messageId = campaign.Messages[0].Id;
        using var client = sandbox.CreateClient();

        using var refused = await client.SendJsonAsync(HttpMethod.Patch, $"/api/campaign-messages/{messageId}", SandboxTestHelpers.MessagePatch(messageId, "New", "Preview"));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("Draft", await refused.ErrorDetailAsync());

        using var revert = await client.SendJsonAsync(HttpMethod.Patch, $"/api/campaign-send-jobs/{campaign.Id}", SandboxTestHelpers.Revert(campaign.Id));
        Assert.Equal(HttpStatusCode.NoContent, revert.StatusCode);
        Assert.Equal(CampaignStatuses.Draft, sandbox.Store.GetCampaign(campaign.Id)!.Status);

        using var allowed = await client.SendJsonAsync(HttpMethod.Patch, $"/api/campaign-messages/{messageId}", SandboxTestHelpers.MessagePatch(messageId, "New", "Preview"));
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("New", sandbox.Store.GetMessage(messageId)!.Subject);

        using var schedule = await client.SendJsonAsync(HttpMethod.Post, "/api/campaign-send-jobs", new { data = new { type = "campaign-send-job", id = campaign.Id } });
        Assert.Equal(HttpStatusCode.Accepted, schedule.StatusCode);
        Assert.Equal(CampaignStatuses.Scheduled, sandbox.Store.GetCampaign(campaign.Id)!.Status);
    }

    [Fact]
    public async Task Revert_WithinFifteenMinutesOfSend_Returns400()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o => o.TimeProvider = time);
        var campaign = sandbox.Store.AddCampaign("Soon", CampaignStatuses.Scheduled, time.GetUtcNow().AddMinutes(20));
        using var client = sandbox.CreateClient();
        time.Advance(TimeSpan.FromMinutes(6));

        using var response = await client.SendJsonAsync(HttpMethod.Patch, $"/api/campaign-send-jobs/{campaign.Id}", SandboxTestHelpers.Revert(campaign.Id));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("15 minutes", await response.ErrorDetailAsync());
        Assert.Equal(CampaignStatuses.Scheduled, sandbox.Store.GetCampaign(campaign.Id)!.Status);
    }

    [Theory]
    [InlineData(-30 * 24 * 60)]
    [InlineData(-1)]
    [InlineData(5)]
    public async Task ContentEdit_DraftWithAPlannedDatetimePastOrClose_IsAllowedButNotItsScheduling(int plannedInMinutes)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o => o.TimeProvider = time);
        var list = sandbox.Store.AddList("Audience", 5);
        var campaign = sandbox.Store.AddCampaign("Planned", CampaignStatuses.Draft, time.GetUtcNow().AddMinutes(plannedInMinutes), included: [list.Id]);
        var messageId = campaign.Messages[0].Id;
        using var client = sandbox.CreateClient();

        using var json = await client.GetJsonAsync($"/api/campaigns/{campaign.Id}");
        var strategy = json.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("send_strategy");
        Assert.Equal("static", strategy.GetProperty("method").GetString());
        Assert.Equal(time.GetUtcNow().AddMinutes(plannedInMinutes), strategy.GetProperty("datetime").GetDateTimeOffset());

        // A Draft has no send job, so nothing locks it: its datetime is only planned.
        using var edit = await client.SendJsonAsync(HttpMethod.Patch, $"/api/campaign-messages/{messageId}", SandboxTestHelpers.MessagePatch(messageId, "New", "Preview"));
        Assert.Equal(HttpStatusCode.OK, edit.StatusCode);
        Assert.Equal("New", sandbox.Store.GetMessage(messageId)!.Subject);

        using var schedule = await client.SendJsonAsync(HttpMethod.Post, "/api/campaign-send-jobs", new { data = new { type = "campaign-send-job", id = campaign.Id } });
        Assert.Equal(HttpStatusCode.BadRequest, schedule.StatusCode);
        Assert.Equal(CampaignStatuses.Draft, sandbox.Store.GetCampaign(campaign.Id)!.Status);
    }
}
