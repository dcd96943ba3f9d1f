using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Refly.Core.Campaigns;
using Refly.Dashboard.Sandbox.Store;
using Refly.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace Refly.Tests.Browser;

/// <summary>Sign-in in a real browser, and hostile content from Klaviyo staying inert text.</summary>
public sealed class SecurityBrowserTests : IClassFixture<BrowserAppFixture>
{
    private readonly BrowserAppFixture _app;

    public SecurityBrowserTests(BrowserAppFixture app) => _app = app;

    [Fact]
    public async Task Anonymous_IsSentToSignIn_ThenBackToThePage_AndCanSignOut()
    {
        var page = await _app.NewPageAsync(email: null);
        await page.GotoAsync("/marketing/campaigns");
        await Expect(page).ToHaveURLAsync(new Regex("/account/login"));
        await page.Locator("#email").FillAsync(ReflyAppFactory.MarketerEmail);
        await page.Locator("#password").FillAsync("not-the-password-1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByTestId("sign-in-error")).ToContainTextAsync("wrong");

        await page.Locator("#email").FillAsync(ReflyAppFactory.MarketerEmail);
        await page.Locator("#password").FillAsync(ReflyAppFactory.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/marketing/campaigns$"));
        await Expect(page.Locator("tr.campaign-row").First).ToBeVisibleAsync();
        await Expect(page.GetByTestId("signed-in-user")).ToHaveTextAsync(ReflyAppFactory.MarketerEmail);
        // A marketer sees no admin navigation.
        await Expect(page.Locator(".mud-drawer").GetByRole(AriaRole.Link, new() { Name = "Settings" })).ToHaveCountAsync(0);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/account/login"));
        await page.GotoAsync("/marketing/campaigns");
        await Expect(page).ToHaveURLAsync(new Regex("/account/login"));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task HostileCampaignName_FromKlaviyo_IsShownAsTextAndNeverRuns()
    {
        const string hostile = "<img src=x onerror=\"window.__xss=1\"><script>window.__xss=2</script> Hostile";
        _app.Factory.Sandbox.Store.AddCampaign(hostile, CampaignStatuses.Sent, sendTime: DateTimeOffset.UtcNow.AddDays(-1));
        await _app.Factory.Services.GetRequiredService<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var page = await _app.NewPageAsync();
        var dialogs = 0;
        page.Dialog += (_, dialog) => { dialogs++; _ = dialog.DismissAsync(); };
        var ui = new CampaignsPageModel(page);
        await ui.OpenAsync();
        await page.GetByRole(AriaRole.Textbox, new() { Name = "Search campaigns" }).FillAsync("Hostile");
        await Expect(page.Locator("tr.campaign-row").Filter(new() { HasText = "onerror" })).ToHaveCountAsync(1);
        await Expect(page.Locator("tr.campaign-row").Filter(new() { HasText = "onerror" })).ToContainTextAsync(hostile);
        Assert.Equal(0, await page.Locator("tr.campaign-row img").CountAsync());
        Assert.Equal(0, await page.Locator("tr.campaign-row script").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__xss === undefined"));
        Assert.Equal(0, dialogs);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Settings_AdminTestsAndSavesTheTypedKey_KlaviyoChecksIt_AppBarShowsTheAccountWithoutReload_KeyShownMaskedOnly()
    {
        var page = await _app.NewPageAsync();
        await page.GotoAsync("/settings");
        await Expect(page.GetByTestId("klaviyo-key-status")).ToContainTextAsync("demo mode");
        await Expect(page.GetByTestId("settings-title")).ToHaveAttributeAsync("data-interactive", "true");
        await Expect(page.GetByTestId("demo-mode")).ToBeVisibleAsync();
        // A reload would lose this marker: the app bar must change in place.
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        var input = page.Locator("input[data-testid='klaviyo-key-input'], [data-testid='klaviyo-key-input'] input").First;

        // Test connection tests what is typed, not the demo sandbox in use.
        await input.FillAsync("not-a-key");
        await page.GetByTestId("test-connection").ClickAsync();
        await Expect(page.GetByTestId("connection-result")).ToContainTextAsync("The key in the box was not sent to Klaviyo");
        await Expect(page.GetByTestId("connection-result")).Not.ToContainTextAsync("Connected");

        await input.FillAsync("sk_not_a_private_key");
        await page.GetByTestId("save-klaviyo-key").ClickAsync();
        await Expect(page.GetByTestId("klaviyo-key-error")).ToContainTextAsync("start with 'pk_'");

        // A well-formed key Klaviyo rejects is refused with the reason; nothing is saved, still demo mode.
        const string rejected = "pk_browser_rejected_key_0123_wxyz";
        await input.FillAsync(rejected);
        await page.GetByTestId("save-klaviyo-key").ClickAsync();
        await Expect(page.GetByTestId("klaviyo-key-error")).ToContainTextAsync("Not saved: Klaviyo rejected the API key");
        await Expect(page.GetByTestId("klaviyo-key-status")).ToContainTextAsync("demo mode");
        await Expect(page.GetByTestId("demo-mode")).ToBeVisibleAsync();

        // The account's own key: tested as typed, then saved; the app bar names the account at once.
        var key = _app.Account.ApiKey;
        await input.FillAsync(key);
        await page.GetByTestId("test-connection").ClickAsync();
        await Expect(page.GetByTestId("connection-result")).ToContainTextAsync("The key in the box: Connected to Klaviyo account Acme Outdoor");
        await page.GetByTestId("save-klaviyo-key").ClickAsync();
        await Expect(page.GetByTestId("klaviyo-key-status")).ToContainTextAsync($"pk_••••••••{key[^4..]}");
        await Expect(page.GetByTestId("klaviyo-account")).ToContainTextAsync("Klaviyo: Acme Outdoor");
        await Expect(page.GetByTestId("demo-mode")).ToHaveCountAsync(0);
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal("", await input.InputValueAsync());

        // An empty box tests the key in use, and says so.
        await page.GetByTestId("test-connection").ClickAsync();
        await Expect(page.GetByTestId("connection-result")).ToContainTextAsync("The key box is empty, so this tested the key in use (saved here)");

        // Put the demo back for the other tests of this fixture: the app bar follows at once.
        await page.GetByRole(AriaRole.Button, new() { Name = "Remove saved key" }).ClickAsync();
        await Expect(page.GetByTestId("klaviyo-key-status")).ToContainTextAsync("demo mode");
        await Expect(page.GetByTestId("demo-mode")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("klaviyo-account")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
