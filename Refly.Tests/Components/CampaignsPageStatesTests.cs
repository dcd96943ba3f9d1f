using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Pages.Campaigns;
using Refly.Dashboard.Hosting;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>The campaigns page's empty, loading and error states over real Core services and an empty sandbox.</summary>
public sealed class CampaignsPageStatesTests : MudTestContext
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(15);

    private async Task<CoreTestHost> StartCoreAsync(IDictionary<string, string?>? settings = null)
    {
        var host = await CoreTestHost.StartAsync(settings: settings, startScheduler: false);
        Services.AddLogging();
        Services.AddSingleton(host.Get<CampaignQueryService>());
        Services.AddSingleton(host.Get<IChangeNotifier>());
        Services.AddSingleton(host.Get<SyncStatus>());
        Services.AddSingleton(host.Get<RunQueryService>());
        Services.AddSingleton(host.Get<PersonalizationRunService>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        Render<MudPopoverProvider>();
        return host;
    }

    [Fact]
    public async Task BeforeTheFirstSync_SaysItIsLoading_ThenAnEmptyAccountSaysSo()
    {
        await using var host = await StartCoreAsync();
        var page = Render<CampaignsPage>();

        page.WaitForAssertion(() => Assert.Contains("Loading campaigns from Klaviyo", page.Markup, StringComparison.Ordinal), _timeout);
        Assert.Contains("Syncing with Klaviyo", page.Markup, StringComparison.Ordinal);

        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        page.WaitForAssertion(() => Assert.Contains("No email campaigns in this Klaviyo account yet", page.Markup, StringComparison.Ordinal), _timeout);
        Assert.NotEmpty(page.FindAll("[data-testid='sync-ok']"));
    }

    [Fact]
    public async Task SyncFailing_ShowsTheErrorLive()
    {
        // A revoked key: Klaviyo answers 401, which is not retried, so the failure is immediate.
        await using var host = await StartCoreAsync(new Dictionary<string, string?> { ["Klaviyo:ApiKey"] = "pk_revoked_0000_0000_0000_0000" });
        var page = Render<CampaignsPage>();

        try
        {
            await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whether the sync service throws or records the failure, the page must say so.
        }

        page.WaitForAssertion(() => Assert.Contains("Campaign sync failed", page.Find("[data-testid='sync-error']").TextContent, StringComparison.Ordinal), _timeout);
    }
}
