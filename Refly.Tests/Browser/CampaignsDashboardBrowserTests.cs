using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Refly.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Refly.Tests.Browser;

/// <summary>
/// Issue #4 end to end in a real browser: the seeded campaigns, the Personalize modal, live progress, cancel with its
/// confirm step, "Cancelling" then "Cancelled", a second run to "Completed", and a second browser seeing it all live.
/// </summary>
public sealed class CampaignsDashboardBrowserTests : IClassFixture<BrowserAppFixture>
{
    private const string AbCampaign = "Win-back offer (A/B)";
    private readonly BrowserAppFixture _app;

    public CampaignsDashboardBrowserTests(BrowserAppFixture app) => _app = app;

    [Fact]
    public async Task CampaignsTable_DemoMode_ShowsSeededCampaignsWithStatusesAndActions()
    {
        var ui = new CampaignsPageModel(await _app.NewPageAsync());
        await ui.OpenAsync();

        await Expect(ui.Page.GetByTestId("demo-mode")).ToBeVisibleAsync();
        foreach (var (name, status) in new[]
                 {
                     ("Holiday gift guide (draft)", "Draft"), ("Autumn drop", "Scheduled"), ("Black Friday early access (A/B)", "Scheduled"),
                     (AbCampaign, "Scheduled"), ("Flash sale: 48 hours", "Sending"), ("October newsletter", "Sent"), ("Summer clearance", "Cancelled"),
                 })
        {
            await Expect(ui.Row(name).GetByTestId("campaign-status")).ToHaveTextAsync(status);
        }
        await Expect(ui.Sparkle("Autumn drop")).ToBeEnabledAsync();
        await Expect(ui.Sparkle("October newsletter")).ToBeDisabledAsync();
        await Expect(ui.Row("October newsletter").GetByTestId("personalize-disabled-reason")).ToHaveAttributeAsync("title", new Regex("has been sent"));
        await Expect(ui.Sparkle("Flash sale: 48 hours")).ToBeDisabledAsync();
        await ui.Page.Context.CloseAsync();
    }

    [Fact]
    public async Task PersonalizeAbCampaign_ProgressCancelRestartComplete_LiveInTwoBrowsers()
    {
        var store = _app.Factory.Sandbox.Store;
        var ui = new CampaignsPageModel(await _app.NewPageAsync());
        var other = new CampaignsPageModel(await _app.NewPageAsync());
        await ui.OpenAsync();
        await other.OpenAsync();
        await ui.ExpectStateAsync(AbCampaign, "None", "Not personalized");

        // Klaviyo takes the first import job (100 contacts) and holds the next ones, so the run waits at a known point.
        var firstImport = store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);

        // The modal: nothing pre-selected for an A/B campaign; pick one variation and confirm.
        await ui.Sparkle(AbCampaign).ClickAsync();
        await Expect(ui.Dialog).ToContainTextAsync(AbCampaign);
        await Expect(ui.Dialog.GetByTestId("ab-copy")).ToBeVisibleAsync();
        var confirm = ui.Dialog.GetByTestId("confirm-personalize");
        await Expect(confirm).ToBeDisabledAsync();
        await ui.MessageCheckbox("Variation A").ClickAsync();
        await Expect(confirm).ToBeDisabledAsync();
        await Expect(ui.Dialog.GetByTestId("confirm-hint")).ToHaveTextAsync("Approve the samples first");
        // Variation B stays unselected as the control: no holdout on top (every contact of a page is written).
        await ui.SetHoldoutAsync(0);
        await ui.ApproveSamplesAsync();
        await Expect(confirm).ToBeEnabledAsync();
        await confirm.ClickAsync();
        await Expect(ui.Dialog).ToHaveCountAsync(0);

        // In Progress in both browsers, and the progress moves without a reload: the first job's contacts, then,
        // once Klaviyo takes one more job, the second's.
        await ui.ExpectStateAsync(AbCampaign, "InProgress", "In Progress");
        await other.ExpectStateAsync(AbCampaign, "InProgress", "In Progress");
        await Expect(ui.ProgressText(AbCampaign)).ToHaveTextAsync(new Regex(@"^\d+% · 100 of "));
        await Expect(other.ProgressText(AbCampaign)).ToHaveTextAsync(new Regex(@"^\d+% · 100 of "));
        using var imports = store.Hold(operation => operation == "bulk_import_profiles");
        firstImport.Release();
        await Expect(ui.ProgressText(AbCampaign)).ToHaveTextAsync(new Regex(@"^\d+% · 200 of "));
        await Expect(other.ProgressText(AbCampaign)).ToHaveTextAsync(new Regex(@"^\d+% · 200 of "));
        await Expect(ui.State(AbCampaign)).ToHaveAttributeAsync("data-state", "InProgress");

        // Cancel, with a confirm step. Klaviyo holds every write meanwhile, so the clean-up ("Cancelling") cannot finish
        // until it is released.
        using var writes = store.Hold(operation => !operation.StartsWith("get_", StringComparison.Ordinal));
        await ui.CancelIcon(AbCampaign).ClickAsync();
        await Expect(ui.Dialog).ToContainTextAsync("Cancel personalization?");
        await ui.Dialog.GetByRole(AriaRole.Button, new() { Name = "Cancel personalization", Exact = true }).ClickAsync();

        await ui.ExpectStateAsync(AbCampaign, "Cancelling", "Cancelling");
        await Expect(ui.CancellingIndicator(AbCampaign)).ToBeVisibleAsync();
        await Expect(ui.CancelIcon(AbCampaign)).ToHaveCountAsync(0);
        await Expect(ui.Sparkle(AbCampaign)).ToHaveCountAsync(0);
        await other.ExpectStateAsync(AbCampaign, "Cancelling", "Cancelling");
        await Expect(other.CancellingIndicator(AbCampaign)).ToBeVisibleAsync();

        writes.Release();
        imports.Release();
        await ui.ExpectStateAsync(AbCampaign, "Cancelled", "Cancelled");
        await other.ExpectStateAsync(AbCampaign, "Cancelled", "Cancelled");
        await Expect(ui.Sparkle(AbCampaign)).ToBeEnabledAsync();

        // Personalize again, with the default 10% holdout; this time let it finish.
        await ui.Sparkle(AbCampaign).ClickAsync();
        await ui.MessageCheckbox("Variation B").ClickAsync();
        await ui.ApproveSamplesAsync();
        await ui.Dialog.GetByTestId("confirm-personalize").ClickAsync();
        await ui.ExpectStateAsync(AbCampaign, "Completed", "Completed");
        await other.ExpectStateAsync(AbCampaign, "Completed", "Completed");
        await Expect(ui.Row(AbCampaign).GetByTestId("run-trigger")).ToContainTextAsync($"by {ReflyAppFactory.AdminEmail}");

        // Run details: same numbers as the row.
        await ui.Row(AbCampaign).Locator("a[aria-label='Run details']").ClickAsync();
        await Expect(ui.Page.GetByTestId("run-state")).ToHaveTextAsync("Completed");
        // Everyone is either written or held out (about a tenth: a hash of run and contact chooses them).
        var written = int.Parse(await ui.Page.GetByTestId("run-written").InnerTextAsync(), System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        var heldOut = int.Parse(await ui.Page.GetByTestId("run-held-out").InnerTextAsync(), System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(1_300, written + heldOut);
        Assert.InRange(heldOut, 80, 180);
        await ui.Page.Context.CloseAsync();
        await other.Page.Context.CloseAsync();
    }
}
