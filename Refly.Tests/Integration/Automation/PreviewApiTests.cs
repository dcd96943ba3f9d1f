using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Refly.Core.Campaigns;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Preview;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>POST /api/v1/campaigns/{campaignId}/preview over real HTTP against the app in demo mode.</summary>
public sealed class PreviewApiTests : IClassFixture<DemoAppFixture>
{
    private readonly DemoAppFixture _app;

    public PreviewApiTests(DemoAppFixture app) => _app = app;

    [Fact]
    public async Task Preview_Samples_AnswersEachEmailWithSubjectPreviewHtmlSourceAndTheOriginal()
    {
        var campaign = await SeedAsync();
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{campaign.KlaviyoId}/preview",
            new { messageIds = new[] { campaign.Messages[0].KlaviyoId }, brief = new { goal = "Early access", tone = "warm", allowedFacts = new[] { "LoyaltyTier" } } });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(4, items.Count);
        foreach (var item in items)
        {
            Assert.Equal(campaign.Messages[0].KlaviyoId, item.GetProperty("messageId").GetString());
            Assert.Equal("rule-based", item.GetProperty("source").GetString());
            Assert.Contains("<p>Original body</p>", item.GetProperty("html").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain("{{", item.GetProperty("subject").GetString(), StringComparison.Ordinal);
            Assert.Equal(EmailPreviewServiceTests.Subject, item.GetProperty("original").GetProperty("subject").GetString());
            Assert.Equal("Be first", item.GetProperty("original").GetProperty("previewText").GetString());
        }
    }

    [Fact]
    public async Task Preview_OneContactByEmail_AnswersThatContact()
    {
        var campaign = await SeedAsync();
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

        using var response = await client.PostAsJsonAsync($"/api/v1/campaigns/{campaign.KlaviyoId}/preview",
            new { messageIds = campaign.Messages.Select(m => m.KlaviyoId).ToArray(), email = "nia@example.com" });

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        using var json = JsonDocument.Parse(body);
        var items = json.RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(2, items.Count);
        Assert.All(items, i => Assert.Equal("nia@example.com", i.GetProperty("contact").GetString()));
        Assert.All(items, i => Assert.Contains("<p>Hi Niamhy,</p>", i.GetProperty("html").GetString(), StringComparison.Ordinal));
        Assert.Equal("Say \"hi\" to 30% off", items[1].GetProperty("original").GetProperty("subject").GetString());
    }

    [Fact]
    public async Task Preview_Refusals_AreProblemDetailsWithTheReason()
    {
        var campaign = await SeedAsync();
        var other = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Id != campaign.KlaviyoId && c.Messages.Count > 0);
        using var client = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        var url = $"/api/v1/campaigns/{campaign.KlaviyoId}/preview";
        var message = campaign.Messages[0].KlaviyoId;

        await AssertProblemAsync(await client.PostAsJsonAsync("/api/v1/campaigns/does-not-exist/preview", new { messageIds = new[] { message } }), HttpStatusCode.NotFound, "does-not-exist");
        await AssertProblemAsync(await client.PostAsJsonAsync(url, new { messageIds = Array.Empty<string>() }), HttpStatusCode.BadRequest, "at least one message");
        await AssertProblemAsync(await client.PostAsJsonAsync(url, new { messageIds = new[] { other.Messages[0].Id } }), HttpStatusCode.UnprocessableEntity, other.Messages[0].Id);
        await AssertProblemAsync(await client.PostAsJsonAsync(url, new { messageIds = new[] { message }, email = "nobody@example.com" }), HttpStatusCode.NotFound, "nobody@example.com");
        await AssertProblemAsync(await client.PostAsJsonAsync(url, new { messageIds = new[] { message }, email = "not-an-address" }), HttpStatusCode.BadRequest, "e-mail");
        await AssertProblemAsync(await client.PostAsJsonAsync(url, new { messageIds = new[] { message }, brief = "be nice" }), HttpStatusCode.BadRequest, null);
        await AssertProblemAsync(await client.PostAsJsonAsync(url, new { messageIds = new[] { message }, brief = new { allowedFacts = new[] { "ShoeSize" } } }), HttpStatusCode.BadRequest, "ShoeSize");

        using var anonymous = _app.Factory.CreateHttpClient(null);
        using var unauthorized = await anonymous.PostAsJsonAsync(url, new { messageIds = new[] { message } });
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorized.StatusCode);
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string? detail)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            if (detail is not null)
            {
                Assert.Contains(detail, body, StringComparison.Ordinal);
            }
        }
    }

    private async Task<Campaign> SeedAsync()
    {
        await _app.WaitForSyncAsync();
        return await EmailPreviewServiceTests.SeedAsync(_app.Factory.Sandbox.Store, _app.Factory.Services);
    }
}
