using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Pages.Campaigns;
using Refly.Dashboard.Hosting;
using Refly.Tests.Components;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>
/// A run started and cancelled through the automation API (real HTTP) is seen live by the campaigns page rendered with
/// the running app's own services, and both show the same state.
/// </summary>
public sealed class AutomationApiSeenByDashboardTests : MudTestContext, IClassFixture<DemoAppFixture>
{
    private const string Campaign = "Win-back offer (A/B)";
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);
    private readonly DemoAppFixture _app;

    public AutomationApiSeenByDashboardTests(DemoAppFixture app)
    {
        _app = app;
        var services = app.Factory.Services;
        Services.AddLogging();
        Services.AddSingleton(services.GetRequiredService<CampaignQueryService>());
        Services.AddSingleton(services.GetRequiredService<IChangeNotifier>());
        Services.AddSingleton(services.GetRequiredService<SyncStatus>());
        Services.AddSingleton(services.GetRequiredService<RunQueryService>());
        Services.AddSingleton(services.GetRequiredService<PersonalizationRunService>());
        Services.AddSingleton(services.GetRequiredService<Refly.Core.Impact.CampaignImpactService>());
        Services.AddSingleton(services.GetRequiredService<TimeProvider>());
        Services.AddScoped<BrowserTimeZone>();
    }

    private static IElement Row(IRenderedComponent<CampaignsPage> page) =>
        page.FindAll("tr.campaign-row").Single(r => r.TextContent.Contains(Campaign, StringComparison.Ordinal));

    private static string StateOf(IRenderedComponent<CampaignsPage> page) =>
        Row(page).QuerySelector("[data-testid='personalization-state']")!.GetAttribute("data-state")!;

    [Fact]
    public async Task RunStartedAndCancelledThroughTheApi_IsSeenLiveByTheCampaignsPage()
    {
        await _app.WaitForSyncAsync();
        using var api = _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        var campaign = _app.Factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == Campaign);
        Render<MudPopoverProvider>();
        var page = Render<CampaignsPage>();
        page.WaitForAssertion(() => Assert.Equal("None", StateOf(page)), _timeout);

        // Klaviyo holds the run's import jobs, so the run is still going when the cancel arrives.
        var imports = _app.Factory.Sandbox.Store.Hold(operation => operation == "bulk_import_profiles");
        try
        {
            using var started = await api.PostAsJsonAsync($"/api/v1/campaigns/{campaign.Id}/personalization", new { messageIds = new[] { campaign.Messages[0].Id } });
            Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
            var runId = (await started.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

            page.WaitForAssertion(() => Assert.Contains(StateOf(page), new[] { "Queued", "InProgress" }), _timeout);
            page.WaitForAssertion(() => Assert.NotNull(Row(page).QuerySelector("button[aria-label='Cancel personalization']")), _timeout);

            using var cancelled = await api.DeleteAsync($"/api/v1/campaigns/{campaign.Id}/personalization");
            Assert.Equal(HttpStatusCode.Accepted, cancelled.StatusCode);
            page.WaitForAssertion(() => Assert.Contains(StateOf(page), new[] { "Cancelling", "Cancelled" }), _timeout);
            imports.Release();
            page.WaitForAssertion(() => Assert.Equal("Cancelled", StateOf(page)), _timeout);
            page.WaitForAssertion(() => Assert.False(Row(page).QuerySelector("button[aria-label='Personalize']")!.HasAttribute("disabled")), _timeout);

            // The API gives the same answer as the page.
            using var run = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/runs/{runId}"));
            Assert.Equal(StateOf(page), run.RootElement.GetProperty("state").GetString());
            using var listed = JsonDocument.Parse(await api.GetStringAsync($"/api/v1/campaigns/{campaign.Id}"));
            Assert.Equal(runId, listed.RootElement.GetProperty("personalization").GetProperty("runId").GetGuid());
            Assert.Equal("Cancelled", listed.RootElement.GetProperty("personalization").GetProperty("state").GetString());
        }
        finally
        {
            imports.Release();
        }
    }
}
