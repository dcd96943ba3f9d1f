using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Refly.Core.Personalization;
using Refly.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Refly.Tests.Browser;

/// <summary>
/// Issue 16 in a real browser: the table at a laptop's 1024 px, dark mode from the system preference and the app
/// bar's toggle, the run history reaching a cancelled tag run, and the setup page's errors beside their fields.
/// </summary>
public sealed class MarketerDayBrowserTests : IClassFixture<BrowserAppFixture>
{
    private readonly BrowserAppFixture _app;

    public MarketerDayBrowserTests(BrowserAppFixture app) => _app = app;

    [Fact]
    public async Task CampaignsTable_At1024x768_EveryRowsActionIsOnScreenWithoutHorizontalScrolling()
    {
        var ui = new CampaignsPageModel(await _app.NewPageAsync(width: 1024, height: 768));
        await ui.OpenAsync();

        var rows = await ui.Page.Locator("tr.campaign-row").AllAsync();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var action = row.Locator(".actions-cell button").First;
            var box = await action.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 1024,
                $"The action of “{await row.Locator(".campaign-name").TextContentAsync()}” is at x={box.X}..{box.X + box.Width}, outside 0..1024.");
        }
        // Neither the page nor the table scrolls sideways.
        Assert.True(await ui.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "The page scrolls horizontally at 1024 px.");
        Assert.True(await ui.Page.EvaluateAsync<bool>(
            "() => { const c = document.querySelector('.campaigns-table .mud-table-container'); return c.scrollWidth <= c.clientWidth + 1; }"),
            "The campaigns table scrolls horizontally at 1024 px.");
        // A long name is cut to one line and keeps the whole name on hover.
        var name = ui.Row("Black Friday early access (A/B)").Locator(".campaign-name");
        await Expect(name).ToHaveAttributeAsync("title", "Black Friday early access (A/B)");
        Assert.Equal("nowrap", await name.EvaluateAsync<string>("e => getComputedStyle(e).whiteSpace"));
        await ui.Page.Context.CloseAsync();
    }

    [Fact]
    public async Task DarkSystemPreference_GivesADarkBackground_AndTheToggleIsRemembered()
    {
        var page = await _app.NewPageAsync(colorScheme: ColorScheme.Dark);
        var ui = new CampaignsPageModel(page);
        await ui.OpenAsync();

        await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("data-dark", "true");
        Assert.True(await BackgroundLuminanceAsync(page) < 0.2, "The dark preference should give a dark background.");

        // The toggle switches to light and is remembered over the system preference after a reload.
        await page.GetByTestId("theme-toggle").ClickAsync();
        await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("data-dark", "false");
        await page.ReloadAsync();
        await Expect(page.Locator("tr.campaign-row").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("theme-toggle")).ToHaveAttributeAsync("data-dark", "false");
        Assert.True(await BackgroundLuminanceAsync(page) > 0.8, "The remembered light choice should give a light background.");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RunHistory_ReachedFromTheRow_ShowsACancelledTagRunALaterRunReplaced()
    {
        const string name = "VIP preview night";
        var id = _app.Factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == name).Id;
        var start = DateTimeOffset.UtcNow.AddHours(-2);
        var tagRun = await RunHistorySeed.AddFinishedRunAsync(_app.Factory.Services, id, RunState.Cancelled, RunTrigger.Tag, "Refly: Personalize", 2_000, 860, start, TimeSpan.FromMinutes(1));
        await RunHistorySeed.AddFinishedRunAsync(_app.Factory.Services, id, RunState.Completed, RunTrigger.Manual, "ana@example.com", 2_000, 2_000, start.AddHours(1), TimeSpan.FromMinutes(3));
        var ui = new CampaignsPageModel(await _app.NewPageAsync());
        await ui.OpenAsync();

        // The row shows the latest run; the tag run is one click away.
        await Expect(ui.State(name)).ToContainTextAsync("2,000 of 2,000 · 3 min · by ana@example.com");
        await ui.Row(name).Locator("a[aria-label='Run history']").ClickAsync();

        await Expect(ui.Page).ToHaveURLAsync(new Regex($"/marketing/campaigns/{Regex.Escape(id)}/runs$"));
        var tagRow = ui.Page.Locator("tr.run-history-row").Filter(new() { Has = ui.Page.Locator($"[data-run-id='{tagRun.Id}']") });
        await Expect(tagRow.GetByTestId("history-trigger")).ToHaveTextAsync("Tag");
        await Expect(tagRow.GetByTestId("history-starter")).ToHaveTextAsync("Tag “Refly: Personalize”");
        await Expect(tagRow.GetByTestId("history-state")).ToHaveTextAsync("Cancelled at 43%");
        await ui.Page.Context.CloseAsync();
    }

    [Fact]
    public async Task Setup_ShowsEachErrorBesideItsField()
    {
        await using var factory = new ReflyAppFactory(createUsers: false);
        var context = await _app.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = factory.ServerAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1024, Height = 768 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/setup");

        await page.Locator("#email").FillAsync("not-an-address");
        await page.Locator("#password").FillAsync("short");
        await page.Locator("#confirm").FillAsync("different");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();

        await Expect(page.GetByTestId("email-field").Locator(".validation-message")).ToContainTextAsync("e-mail");
        await Expect(page.GetByTestId("password-field").Locator(".validation-message").First).ToContainTextAsync("12");
        await Expect(page.GetByTestId("confirm-field").Locator(".validation-message")).ToContainTextAsync("do not match");
        // Every message is inside its field's block, none floating above or outside the card.
        var all = await page.Locator(".validation-message").CountAsync();
        var inFields = await page.Locator(".account-field .validation-message").CountAsync();
        Assert.Equal(all, inFields);
        await Expect(page.Locator(".account-card")).ToBeVisibleAsync();
        await context.CloseAsync();
    }

    /// <summary>Relative luminance (0 black .. 1 white) of the page's background.</summary>
    private static async Task<double> BackgroundLuminanceAsync(IPage page)
    {
        var color = await page.EvaluateAsync<string>(
            "() => { const b = getComputedStyle(document.body).backgroundColor; return b === 'rgba(0, 0, 0, 0)' ? getComputedStyle(document.querySelector('.mud-layout') ?? document.body).backgroundColor : b; }");
        var parts = Regex.Matches(color, @"\d+(\.\d+)?").Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture) / 255).ToArray();
        return 0.2126 * parts[0] + 0.7152 * parts[1] + 0.0722 * parts[2];
    }
}
