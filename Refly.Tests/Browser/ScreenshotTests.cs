using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Refly.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Refly.Tests.Browser;

/// <summary>
/// Puts the demo account into every interesting row state through the automation API and saves screenshots to
/// docs/screenshots (see <see cref="ScreenshotPath"/>): the table (In Progress, Cancelling, Cancelled, Completed), the Personalize modal, run details.
/// </summary>
public sealed class ScreenshotTests : IClassFixture<BrowserAppFixture>
{
    private readonly BrowserAppFixture _app;
    private readonly HttpClient _api;

    public ScreenshotTests(BrowserAppFixture app)
    {
        _app = app;
        _api = app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
    }

    /// <summary>
    /// TestResults/screenshots on every run (git-ignored); docs/screenshots when REFLY_UPDATE_SCREENSHOTS=1, so a
    /// plain test run does not rewrite the committed images.
    /// </summary>
    private static string ScreenshotPath(string name)
    {
        var update = Environment.GetEnvironmentVariable("REFLY_UPDATE_SCREENSHOTS") == "1";
        var folder = update
            ? Path.Combine(RepositoryPaths.Root, "docs", "screenshots")
            : Path.Combine(RepositoryPaths.Root, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, name);
    }

    [Fact]
    public async Task Screenshots_TableModalAndRunDetails()
    {
        var store = _app.Factory.Sandbox.Store;
        var ui = new CampaignsPageModel(await _app.NewPageAsync());
        await ui.OpenAsync();

        // The Personalize modal of an A/B campaign with one variation chosen and the sample preview loaded.
        await ui.Sparkle("Black Friday early access (A/B)").ClickAsync();
        await ui.MessageCheckbox("Variation A").ClickAsync();
        await Expect(ui.Dialog.GetByTestId("sample-preview")).ToBeVisibleAsync();
        await ui.ApproveSamplesAsync();
        await Expect(ui.Dialog.GetByTestId("confirm-personalize")).ToBeEnabledAsync();
        await ui.Page.ScreenshotAsync(new() { Path = ScreenshotPath("personalize-modal.png") });
        await ui.Dialog.GetByRole(AriaRole.Button, new() { Name = "Close without starting" }).ClickAsync();
        await Expect(ui.Dialog).ToHaveCountAsync(0);

        // Completed and Cancelled rows.
        var vip = await StartAsync("VIP preview night");
        await WaitForStateAsync(vip, "Completed");
        store.Latency = TimeSpan.FromMilliseconds(300);
        var autumn = await StartAsync("Autumn drop");
        await WaitForStateAsync(autumn, "InProgress");
        await CancelAsync("Autumn drop");
        await WaitForStateAsync(autumn, "Cancelled");

        // In Progress with some progress, and a cancel held in "Cancelling". Klaviyo stops creating import jobs after
        // the first one, so Black Friday stays In Progress with that job's contacts written; once Holiday has sent an
        // import job too (its content is switched by then), every write is held, so its cancel cannot finish restoring.
        store.Latency = TimeSpan.Zero;
        using var imports = store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var blackFriday = await StartAsync("Black Friday early access (A/B)");
        await ui.ExpectStateAsync("Black Friday early access (A/B)", "InProgress", "In Progress");
        await Expect(ui.ProgressText("Black Friday early access (A/B)")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^[1-9]\d*% · "), new() { Timeout = 90_000 });
        var holiday = await StartAsync("Holiday gift guide (draft)");
        await ui.ExpectStateAsync("Holiday gift guide (draft)", "InProgress", "In Progress");
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(imports.Waiting >= 2), TimeSpan.FromSeconds(90)),
            $"Both runs should be waiting on an import job; {imports.Waiting} held.");
        using var writes = store.Hold(operation => !operation.StartsWith("get_", StringComparison.Ordinal));
        await CancelAsync("Holiday gift guide (draft)");

        await ui.ExpectStateAsync("VIP preview night", "Completed", "Completed");
        await ui.ExpectStateAsync("Autumn drop", "Cancelled", "Cancelled");
        await ui.ExpectStateAsync("Holiday gift guide (draft)", "Cancelling", "Cancelling");
        await ui.ExpectStateAsync("Black Friday early access (A/B)", "InProgress", "In Progress");
        await ui.Page.ScreenshotAsync(new() { Path = ScreenshotPath("campaigns-table.png"), FullPage = true });

        // The same moment at a laptop's 1024 px and in dark mode (the system preference), for the README.
        foreach (var (width, height, scheme, file) in new[]
                 {
                     (1440, 900, ColorScheme.Dark, "campaigns-table-dark.png"),
                     (1024, 768, ColorScheme.Light, "campaigns-table-1024.png"),
                     (1024, 768, ColorScheme.Dark, "campaigns-table-1024-dark.png"),
                 })
        {
            var other = new CampaignsPageModel(await _app.NewPageAsync(width: width, height: height, colorScheme: scheme));
            await other.OpenAsync();
            await other.ExpectStateAsync("Holiday gift guide (draft)", "Cancelling", "Cancelling");
            await other.ExpectStateAsync("Autumn drop", "Cancelled", "Cancelled");
            await other.Page.ScreenshotAsync(new() { Path = ScreenshotPath(file), FullPage = true });
            await other.Page.Context.CloseAsync();
        }

        // Autumn drop's history: the cancelled run, reached from the row.
        await ui.Row("Autumn drop").Locator("a[aria-label='Run history']").ClickAsync();
        await Expect(ui.Page.Locator("tr.run-history-row").First).ToBeVisibleAsync();
        await ui.Page.ScreenshotAsync(new() { Path = ScreenshotPath("run-history.png"), FullPage = true });
        await ui.Page.GoBackAsync();
        await Expect(ui.Page.Locator("tr.campaign-row").First).ToBeVisibleAsync();

        await ui.Row("Black Friday early access (A/B)").Locator("a[aria-label='Run details']").ClickAsync();
        await Expect(ui.Page.GetByTestId("run-state")).ToHaveTextAsync("In Progress");
        await Expect(ui.Page.GetByTestId("run-timeline")).ToContainTextAsync("Started");
        await Expect(ui.Page.GetByTestId("run-samples").Locator("tbody tr").First).ToBeVisibleAsync();
        await ui.Page.ScreenshotAsync(new() { Path = ScreenshotPath("run-details.png"), FullPage = true });

        // Leave no run behind for the other tests of this app. Black Friday cannot have completed: its second import
        // job is still held, so the cancel is accepted and the run ends Cancelled once the holds are released.
        await CancelAsync("Black Friday early access (A/B)");
        writes.Release();
        imports.Release();
        await WaitForStateAsync(holiday, "Cancelled");
        await WaitForStateAsync(blackFriday, "Cancelled");
        await ui.Page.Context.CloseAsync();
    }

    private async Task<JsonElement> CampaignAsync(string name)
    {
        using var json = JsonDocument.Parse(await _api.GetStringAsync("/api/v1/campaigns"));
        return json.RootElement.GetProperty("items").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name).Clone();
    }

    /// <summary>Starts a run on the campaign's first message; returns the run id.</summary>
    private async Task<Guid> StartAsync(string name)
    {
        var campaign = await CampaignAsync(name);
        var id = campaign.GetProperty("id").GetString();
        var message = campaign.GetProperty("messages")[0].GetProperty("id").GetString();
        using var response = await _api.PostAsJsonAsync($"/api/v1/campaigns/{id}/personalization", new { messageIds = new[] { message } });
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private async Task CancelAsync(string name)
    {
        var id = (await CampaignAsync(name)).GetProperty("id").GetString();
        using var response = await _api.DeleteAsync($"/api/v1/campaigns/{id}/personalization");
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
    }

    private async Task WaitForAnyStateAsync(Guid runId, params string[] states)
    {
        string? last = null;
        var reached = await CoreTestHost.WaitUntilAsync(async () =>
        {
            using var json = JsonDocument.Parse(await _api.GetStringAsync($"/api/v1/runs/{runId}"));
            last = json.RootElement.GetProperty("state").GetString();
            return states.Contains(last);
        }, TimeSpan.FromSeconds(60));
        Assert.True(reached, $"Run {runId} is {last}, expected one of {string.Join(", ", states)}.");
    }

    private Task WaitForStateAsync(Guid runId, string state) => WaitForAnyStateAsync(runId, state);
}
