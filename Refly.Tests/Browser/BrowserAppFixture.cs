using Microsoft.Playwright;
using Refly.Core.Campaigns;
using Refly.KlaviyoSandbox;
using Refly.Tests.Support;

namespace Refly.Tests.Browser;

/// <summary>
/// The whole dashboard on real Kestrel in demo mode and a headless Debian chromium driven by Playwright. The browser
/// is never downloaded: tests use /usr/bin/chromium (./test.sh installs it).
/// </summary>
public sealed class BrowserAppFixture : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Generous: the CI box may be slow, and every wait ends as soon as the page shows the state.</summary>
    public static readonly float ExpectTimeout = 30_000;

    private IPlaywright? _playwright;

    /// <summary>
    /// A second Klaviyo at <c>Klaviyo:BaseUrl</c>, the account "Acme Outdoor" with nothing in it: where a key saved in
    /// Settings is used and checked. Demo mode (no key) keeps talking to the app's own sandbox.
    /// </summary>
    public KlaviyoSandboxServer Account { get; private set; } = null!;

    public ReflyAppFactory Factory { get; private set; } = null!;

    private ReflyAppFactory CreateFactory() => new(new Dictionary<string, string?>
    {
        ["Klaviyo:BaseUrl"] = Account.BaseUrl.ToString(),
        ["Sandbox:LargeListSize"] = "2000",
        ["Sandbox:ImportJobDelay"] = "00:00:00.300",
        ["Personalization:BatchFlushInterval"] = "00:00:00.300",
        ["Personalization:ImportPollInterval"] = "00:00:00.100",
        ["Personalization:CampaignCheckInterval"] = "00:00:00.500",
        // Small import jobs so progress visibly moves in steps.
        ["Personalization:MaxProfilesPerImportJob"] = "100",
        ["Personalization:MaxImportJobsInFlight"] = "1",
    });

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"The browser tests drive Debian's chromium at {ChromiumPath}, which is missing. Install it with " +
                "`sudo apt-get install -y chromium` (./test.sh does this); Playwright's own browser download is not used.");
        }
        Assertions.SetDefaultExpectTimeout(ExpectTimeout);
        Account = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions { Seed = store => store.OrganizationName = "Acme Outdoor" });
        Factory = CreateFactory();
        _ = Factory.ServerAddress;
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var status = (SyncStatus)Factory.Services.GetService(typeof(SyncStatus))!;
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(status.LastSuccessAt is not null), TimeSpan.FromSeconds(30)),
            status.LastError ?? "The first campaign sync did not finish.");
    }

    /// <summary>
    /// A new browser context (its own Blazor circuit) with one page, 1440x900 unless <paramref name="width"/> and
    /// <paramref name="height"/> say otherwise, in the light colour scheme unless <paramref name="colorScheme"/> says
    /// otherwise, signed in through the sign-in form (as the factory's admin unless <paramref name="email"/> says
    /// otherwise; null: not signed in).
    /// </summary>
    public async Task<IPage> NewPageAsync(string? email = ReflyAppFactory.AdminEmail, int width = 1440, int height = 900, ColorScheme colorScheme = ColorScheme.Light)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = Factory.ServerAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            TimezoneId = "UTC",
            ColorScheme = colorScheme,
        });
        context.SetDefaultTimeout(ExpectTimeout);
        var page = await context.NewPageAsync();
        if (email is not null)
        {
            await SignInAsync(page, email, ReflyAppFactory.Password);
        }
        return page;
    }

    /// <summary>Fills and submits the sign-in form; returns once the campaigns page has loaded.</summary>
    public static async Task SignInAsync(IPage page, string email, string password)
    {
        await page.GotoAsync("/account/login");
        await page.Locator("#email").FillAsync(email);
        await page.Locator("#password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/marketing/campaigns$"));
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
        _playwright?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
        if (Account is not null)
        {
            await Account.DisposeAsync();
        }
    }
}

/// <summary>The campaigns page as a user sees it, found by visible text and aria-labels.</summary>
public sealed class CampaignsPageModel(IPage page)
{
    public IPage Page { get; } = page;

    /// <summary>Opens the app and goes to Marketing > Campaigns through the navigation menu.</summary>
    public async Task OpenAsync()
    {
        await Page.GotoAsync("/");
        await Page.Locator(".mud-drawer").GetByRole(AriaRole.Link, new() { Name = "Campaigns", Exact = true }).ClickAsync();
        await Assertions.Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/marketing/campaigns$"));
        // Interactive (the circuit is up) once the table has rows rendered by the server.
        await Assertions.Expect(Page.Locator("tr.campaign-row").First).ToBeVisibleAsync();
    }

    public ILocator Row(string campaignName) => Page.Locator("tr.campaign-row").Filter(new() { Has = Page.GetByText(campaignName, new() { Exact = true }) });

    public ILocator State(string campaignName) => Row(campaignName).Locator("[data-testid='personalization-state']");

    public ILocator ProgressText(string campaignName) => Row(campaignName).Locator("[data-testid='progress-text']");

    public ILocator Sparkle(string campaignName) => Row(campaignName).Locator("button[aria-label='Personalize']");

    public ILocator CancelIcon(string campaignName) => Row(campaignName).Locator("button[aria-label='Cancel personalization']");

    public ILocator CancellingIndicator(string campaignName) => Row(campaignName).Locator("[data-testid='cancelling-indicator']");

    public ILocator Dialog => Page.Locator(".mud-dialog");

    /// <summary>The Personalize modal's checkbox of the message labelled <paramref name="label"/>.</summary>
    public ILocator MessageCheckbox(string label) => Dialog.Locator(".mud-checkbox").Filter(new() { HasText = label });

    /// <summary>Approves the Personalize modal's samples (Confirm stays disabled until then), once they are shown.</summary>
    /// <summary>Sets the modal's holdout to <paramref name="percent"/> (0: nobody held out) and waits for its hint to follow.</summary>
    public async Task SetHoldoutAsync(int percent)
    {
        var holdout = Dialog.GetByTestId("holdout");
        var input = holdout.Locator("input:not([type='range'])");
        await input.FillAsync(percent.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await input.PressAsync("Tab");
        if (percent == 0)
        {
            await Assertions.Expect(Dialog.GetByTestId("holdout-hint")).ToContainTextAsync("No holdout");
        }
    }

    public async Task ApproveSamplesAsync()
    {
        var approve = Dialog.GetByTestId("approve-samples");
        await approve.Locator(".mud-checkbox").ClickAsync();
        await Assertions.Expect(approve.Locator("input[type='checkbox']")).ToBeCheckedAsync();
    }

    /// <summary>Waits until the row's personalization cell shows <paramref name="state"/> (a RunState name) and its words.</summary>
    public async Task ExpectStateAsync(string campaignName, string state, string visibleText)
    {
        await Assertions.Expect(State(campaignName)).ToHaveAttributeAsync("data-state", state);
        await Assertions.Expect(State(campaignName)).ToContainTextAsync(visibleText);
    }
}
