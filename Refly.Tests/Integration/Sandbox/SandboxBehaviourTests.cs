using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Sandbox;

public sealed class SandboxBehaviourTests
{
    [Fact]
    public async Task FaultRate_SetAtRunTime_Returns503WithKlaviyoErrorBody()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();
        using (var ok = await client.GetAsync("/api/accounts"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        sandbox.Store.FaultRate = 1;
        using var failed = await client.GetAsync("/api/templates");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Contains("\"errors\"", await failed.Content.ReadAsStringAsync());
        Assert.Equal(1, sandbox.Store.Counters.Faults);
    }

    [Fact]
    public async Task Latency_ConcurrentRequests_Overlap()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o => o.Latency = TimeSpan.FromMilliseconds(400));
        using var client = sandbox.CreateClient();

        var watch = Stopwatch.StartNew();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => client.GetAsync("/api/templates")));
        watch.Stop();

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(390), TimeSpan.FromMilliseconds(2500));
        foreach (var r in responses)
        {
            r.Dispose();
        }
    }

    [Fact]
    public async Task Hold_LetsTheFirstRequestsThrough_HoldsTheRestOfThatOperationUntilReleased()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();
        using var hold = sandbox.Store.Hold(operation => operation == "get_templates", passFirst: 1);

        using (var first = await client.GetAsync("/api/templates"))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }
        var held = client.GetAsync("/api/templates");
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(hold.Waiting == 1), TimeSpan.FromSeconds(10)));
        using (var other = await client.GetAsync("/api/accounts"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }
        Assert.False(held.IsCompleted);

        hold.Release();
        using var released = await held.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, released.StatusCode);
        Assert.Equal(0, hold.Waiting);
    }

    [Fact]
    public async Task Hold_ClientGivesUp_TheHeldRequestIsDroppedUnhandled()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();
        using var hold = sandbox.Store.Hold(operation => operation == "get_templates");
        using var giveUp = new CancellationTokenSource();

        var held = client.GetAsync("/api/templates", giveUp.Token);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(hold.Waiting == 1), TimeSpan.FromSeconds(10)));
        giveUp.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(hold.Waiting == 0), TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task AssignTemplate_OnDraft_AssignsANonReusableClone()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var campaign = sandbox.Store.AddCampaign("Draft");
        var template = sandbox.Store.AddTemplate("Personalized", "<p>{{ person|lookup:'refly_x'|default:'Hi' }}</p>");
        var messageId = campaign.Messages[0].Id;
        using var client = sandbox.CreateClient();

        using var response = await client.SendJsonAsync(HttpMethod.Post, "/api/campaign-message-assign-template", new
        {
            data = new { type = "campaign-message", id = messageId, relationships = new { template = new { data = new { type = "template", id = template.Id } } } },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        using var message = await client.GetJsonAsync($"/api/campaign-messages/{messageId}?include=template");
        var assignedId = message.RootElement.GetProperty("data").GetProperty("relationships").GetProperty("template").GetProperty("data").GetProperty("id").GetString();
        Assert.NotEqual(template.Id, assignedId);
        var included = Assert.Single(message.RootElement.GetProperty("included").EnumerateArray());
        Assert.Equal(template.Html, included.GetProperty("attributes").GetProperty("html").GetString());
    }

    [Fact]
    public async Task Body_WithWrongContentType_Returns415()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.PostAsync("/api/templates", new StringContent("{}", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    public async Task BulkImport_OverFiveMegabytes_Returns413()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();
        var content = new StringContent(new string(' ', 5 * 1024 * 1024 + 10) + "{}", Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.api+json");

        using var response = await client.PostAsync("/api/profile-bulk-import-jobs", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task TagRelationships_AddFindAndRemove_RoundTrip()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var campaign = sandbox.Store.AddCampaign("Tagged later");
        var tag = sandbox.Store.AddTag(SandboxSeeds.PersonalizeTag);
        using var client = sandbox.CreateClient();

        using var found = await client.GetJsonAsync($"/api/tags?filter={Uri.EscapeDataString("equals(name,'Refly: Personalize')")}");
        Assert.Equal(tag.Id, Assert.Single(found.RootElement.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());

        var body = new { data = new[] { new { type = "campaign", id = campaign.Id } } };
        using (var add = await client.SendJsonAsync(HttpMethod.Post, $"/api/tags/{tag.Id}/relationships/campaigns", body))
        {
            Assert.Equal(HttpStatusCode.NoContent, add.StatusCode);
        }
        using (var ids = await client.GetJsonAsync($"/api/tags/{tag.Id}/relationships/campaigns"))
        {
            Assert.Equal(campaign.Id, Assert.Single(ids.RootElement.GetProperty("data").EnumerateArray()).GetProperty("id").GetString());
        }
        using (var remove = await client.SendJsonAsync(HttpMethod.Delete, $"/api/tags/{tag.Id}/relationships/campaigns", body))
        {
            Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        }
        Assert.Empty(sandbox.Store.GetCampaign(campaign.Id)!.TagIds);
    }

    [Fact]
    public async Task RecipientEstimation_CountsOverlapOnceAndSubtractsExcluded()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var a = sandbox.Store.AddList("A", 100);
        var b = sandbox.Store.AddSegment("B", 100, startIndex: a.GeneratedStart + 50);
        var excluded = sandbox.Store.AddList("X", 10, startIndex: a.GeneratedStart);
        var campaign = sandbox.Store.AddCampaign("Estimate", included: [a.Id, b.Id], excluded: [excluded.Id]);
        using var client = sandbox.CreateClient();

        using var doc = await client.GetJsonAsync($"/api/campaign-recipient-estimations/{campaign.Id}");

        Assert.Equal(140, doc.RootElement.GetProperty("data").GetProperty("attributes").GetProperty("estimated_recipient_count").GetInt64());
    }

    [Fact]
    public async Task UnknownPath_Returns404WithErrorBody()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        using var client = sandbox.CreateClient();

        using var response = await client.GetAsync("/api/not-a-thing");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("not_found", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Schedule_WithSendTimeInsideTheLock_IsRefused()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        var list = sandbox.Store.AddList("Audience", 3);
        var campaign = sandbox.Store.AddCampaign("Too soon", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddMinutes(10), included: [list.Id]);
        using var client = sandbox.CreateClient();

        using var response = await client.SendJsonAsync(HttpMethod.Post, "/api/campaign-send-jobs", new { data = new { type = "campaign-send-job", id = campaign.Id } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(CampaignStatuses.Draft, sandbox.Store.GetCampaign(campaign.Id)!.Status);
    }

    [Fact]
    public async Task DemoSeed_HasEveryCampaignStateAndTheMarkerTemplate()
    {
        await using var sandbox = await Refly.KlaviyoSandbox.KlaviyoSandboxServer.StartAsync(new() { LargeListSize = 1_000 });

        var campaigns = sandbox.Store.GetCampaigns();
        foreach (var status in new[] { "Draft", "Scheduled", "Sending", "Sent", "Cancelled" })
        {
            Assert.Contains(campaigns, c => c.Status == status);
        }
        var tagged = sandbox.Store.GetTags().Single(t => t.Name == SandboxSeeds.PersonalizeTag);
        Assert.Contains(campaigns, c => c.Status == "Scheduled" && c.Messages.Count == 2 && c.TagIds.Contains(tagged.Id));
        Assert.Contains(campaigns, c => c.Status == "Scheduled" && c.Messages.Count == 2 && c.TagIds.Count == 0);
        Assert.Contains(campaigns, c => c.Status == "Scheduled" && c.Messages.Count == 1);
        // Drafts with a static strategy keep a planned datetime, as in Klaviyo: one ahead, one long past.
        var now = DateTimeOffset.UtcNow;
        Assert.Contains(campaigns, c => c.Status == "Draft" && c.SendMethod == "static" && c.SendDatetime > now.AddDays(1));
        Assert.Contains(campaigns, c => c.Status == "Draft" && c.SendMethod == "static" && c.SendDatetime < now.AddDays(-1));
        Assert.Contains(sandbox.Store.GetTemplates(reusableOnly: true), t => t.Html.Contains("<!-- refly:intro -->"));
    }

    [Fact]
    public async Task Collections_FilterAndSortAsTheSpecAllows()
    {
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync();
        sandbox.Store.AddTemplate("Alpha", "<p>a</p>");
        sandbox.Store.AddTemplate("Beta", "<p>b</p>");
        sandbox.Store.AddList("Newsletter", 3);
        sandbox.Store.AddList("VIP", 3);
        using var client = sandbox.CreateClient();

        using var templates = await client.GetJsonAsync($"/api/templates?sort=-name&filter={Uri.EscapeDataString("greater-than(created,2020-01-01T00:00:00Z)")}");
        Assert.Equal(["Beta", "Alpha"], templates.RootElement.GetProperty("data").EnumerateArray().Select(t => t.GetProperty("attributes").GetProperty("name").GetString()));

        using var lists = await client.GetJsonAsync($"/api/lists?filter={Uri.EscapeDataString("any(name,['VIP'])")}");
        Assert.Equal("VIP", Assert.Single(lists.RootElement.GetProperty("data").EnumerateArray()).GetProperty("attributes").GetProperty("name").GetString());

        using var badSort = await client.GetAsync("/api/lists?sort=profile_count");
        Assert.Equal(HttpStatusCode.BadRequest, badSort.StatusCode);
    }
}
