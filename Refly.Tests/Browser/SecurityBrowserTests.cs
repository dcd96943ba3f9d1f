using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Refly.Core.Accounts;
using Refly.Core.Campaigns;
using Refly.KlaviyoSandbox.Store;
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

    [Fact]
    public async Task CampaignsModalAndSettings_RunUnderTheContentSecurityPolicy_WithoutViolations()
    {
        var page = await _app.NewPageAsync();
        var violations = new List<string>();
        // The browser reports each blocked script, style or connection as an event and a console error.
        await page.AddInitScriptAsync("""
            window.__cspViolations = [];
            document.addEventListener('securitypolicyviolation', e => window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
            """);
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
            {
                violations.Add(message.Text);
            }
        };

        var response = await page.GotoAsync("/marketing/campaigns");
        Assert.Contains("script-src", (await response!.AllHeadersAsync())["content-security-policy"], StringComparison.Ordinal);
        var ui = new CampaignsPageModel(page);
        await Expect(page.Locator("tr.campaign-row").First).ToBeVisibleAsync();
        // Interactive: the circuit (WebSocket under connect-src) is up and MudBlazor's script runs the modal.
        await ui.Sparkle("Autumn drop").ClickAsync();
        await Expect(ui.Dialog).ToContainTextAsync("Autumn drop");
        await ui.Dialog.GetByRole(AriaRole.Button, new() { Name = "Close without starting" }).ClickAsync();
        await Expect(ui.Dialog).ToHaveCountAsync(0);

        await page.Locator(".mud-drawer").GetByRole(AriaRole.Link, new() { Name = "Settings" }).ClickAsync();
        await Expect(page.GetByTestId("settings-title")).ToHaveAttributeAsync("data-interactive", "true");

        violations.AddRange(await page.EvaluateAsync<string[]>("() => window.__cspViolations"));
        Assert.True(violations.Count == 0, "CSP violations:\n" + string.Join("\n", violations));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task OpenCircuit_GoesToSignIn_WhenTheUserSignsOutElsewhere_AndItsCookieIsDead()
    {
        var email = $"circuit-{Guid.NewGuid():N}@refly.test";
        var created = await _app.Factory.Services.GetRequiredService<AccountService>().CreateUserAsync(new NewUser(email, ReflyAppFactory.Password, Roles.Marketer));
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));

        var tab = await _app.NewPageAsync(email);
        await Expect(tab.Locator("tr.campaign-row").First).ToBeVisibleAsync();
        var cookies = await tab.Context.CookiesAsync();

        var elsewhere = await _app.NewPageAsync(email);
        await elsewhere.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(elsewhere).ToHaveURLAsync(new Regex("/account/login"));

        // The open circuit checks its session every few seconds and sends the tab to sign-in.
        await Expect(tab).ToHaveURLAsync(new Regex("/account/login"));

        // A copy of the tab's cookie in a fresh browser opens nothing.
        var replay = await _app.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = _app.Factory.ServerAddress.ToString() });
        await replay.AddCookiesAsync(cookies.Select(c => new Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path }));
        var replayed = await replay.NewPageAsync();
        await replayed.GotoAsync("/marketing/campaigns");
        await Expect(replayed).ToHaveURLAsync(new Regex("/account/login"));

        await tab.Context.CloseAsync();
        await elsewhere.Context.CloseAsync();
        await replay.CloseAsync();
    }

    [Fact]
    public async Task PasswordButton_OpensTheChangeForm_WithErrorsBesideTheField_AndKeepsThisSession()
    {
        var email = $"own-password-{Guid.NewGuid():N}@refly.test";
        var created = await _app.Factory.Services.GetRequiredService<AccountService>().CreateUserAsync(new NewUser(email, ReflyAppFactory.Password, Roles.Marketer));
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        var page = await _app.NewPageAsync(email);
        await Expect(page.Locator("tr.campaign-row").First).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Password" }).ClickAsync();
        await Expect(page).ToHaveURLAsync(new Regex("/account/password$"));
        await page.Locator("#current").FillAsync(ReflyAppFactory.Password);
        await page.Locator("#password").FillAsync("password1234");
        await page.Locator("#confirm").FillAsync("password1234");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByTestId("password-error")).ToContainTextAsync("too easy to guess");

        await page.Locator("#current").FillAsync(ReflyAppFactory.Password);
        await page.Locator("#password").FillAsync("my-own-better-pass-58");
        await page.Locator("#confirm").FillAsync("my-own-better-pass-58");
        await page.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
        await Expect(page.GetByTestId("password-changed")).ToBeVisibleAsync();

        await page.GotoAsync("/marketing/campaigns");
        await Expect(page.Locator("tr.campaign-row").First).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }
}
