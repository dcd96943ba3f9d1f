using System.Text.RegularExpressions;
using Refly.KlaviyoSandbox.Store;
using static Microsoft.Playwright.Assertions;

namespace Refly.Tests.Browser;

/// <summary>
/// Issue 17 in a real browser, demo mode: the seeded Sent A/B campaign's results are read at start-up and show in the
/// campaigns table (its own column on a wide screen, under the personalization below 1600 px) and on its run history.
/// </summary>
public sealed class ImpactBrowserTests : IClassFixture<BrowserAppFixture>
{
    private readonly BrowserAppFixture _app;

    public ImpactBrowserTests(BrowserAppFixture app) => _app = app;

    [Fact]
    public async Task DemoSentAbCampaign_ShowsItsLiftInTheTable_AndItsResultsOnTheRunHistory()
    {
        var ui = new CampaignsPageModel(await _app.NewPageAsync(width: 1440, height: 900));
        await ui.OpenAsync();

        var row = ui.Row(SandboxSeeds.SentAbCampaign);
        await Expect(row.GetByTestId("lift-inline")).ToHaveTextAsync(new Regex(@"^Lift: (\+|−)\d+\.\d pts opens$|^Lift: not significant yet$"));
        await Expect(row.GetByTestId("lift-cell")).ToBeHiddenAsync();

        var spring = _app.Factory.Sandbox.Store.GetCampaigns().Single(c => c.Name == SandboxSeeds.SentAbCampaign);
        await ui.Page.GotoAsync($"/marketing/campaigns/{spring.Id}/runs");
        var results = ui.Page.GetByTestId("campaign-results");
        await Expect(results).ToBeVisibleAsync();
        await Expect(results.GetByTestId("results-message-row")).ToHaveCountAsync(2);
        await Expect(results.GetByTestId("results-message-row").First.GetByTestId("results-personalized-chip")).ToBeVisibleAsync();
        await Expect(results.GetByTestId("results-message-row").Nth(1).GetByTestId("results-control-chip")).ToBeVisibleAsync();
        await Expect(results.GetByTestId("results-lift-row")).ToHaveCountAsync(4);
        await Expect(results.GetByTestId("results-refresh")).ToBeEnabledAsync();
        await ui.Page.Context.CloseAsync();

        // A wide screen has the column.
        var wide = new CampaignsPageModel(await _app.NewPageAsync(width: 1680, height: 900));
        await wide.OpenAsync();
        await Expect(wide.Row(SandboxSeeds.SentAbCampaign).GetByTestId("lift-cell")).ToHaveTextAsync(new Regex(@"pts opens|not significant yet"));
        await wide.Page.Context.CloseAsync();
    }
}
