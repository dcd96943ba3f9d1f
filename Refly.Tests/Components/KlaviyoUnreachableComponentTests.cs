using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Pages.Campaigns;
using Refly.Dashboard.Components.Personalization;
using Refly.Dashboard.Hosting;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>
/// The Personalize modal and the run details page when Klaviyo cannot be reached (Klaviyo:BaseUrl at a closed port) or
/// has not answered yet (the sandbox holds the estimate), over real Core services.
/// </summary>
public sealed class KlaviyoUnreachableComponentTests : MudTestContext
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(45);

    private async Task<(CoreTestHost Host, RunScenario Scenario)> StartAsync(bool startScheduler = false)
    {
        var host = await CoreTestHost.StartAsync(startScheduler: startScheduler);
        var scenario = RunScenario.Create(host.Store);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        Services.AddLogging();
        Services.AddSingleton(host.Get<PersonalizationPlanner>());
        Services.AddSingleton(host.Get<PersonalizationRunService>());
        Services.AddSingleton(host.Get<ApprovedCopyStore>());
        Services.AddSingleton(host.Get<SampleApproval>());
        Services.AddSingleton(host.Get<EmailPreviewService>());
        Services.AddSingleton(host.Get<CampaignQueryService>());
        Services.AddSingleton(host.Get<RunQueryService>());
        Services.AddSingleton(host.Get<RunStore>());
        AddImpactServices(host);
        Services.AddSingleton(host.Get<IChangeNotifier>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        return (host, scenario);
    }

    private async Task<IRenderedComponent<MudDialogProvider>> OpenDialogAsync(CoreTestHost host, string campaignId)
    {
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var campaign = await host.Get<CampaignQueryService>().FindAsync(campaignId, CancellationToken.None);
        var parameters = new DialogParameters<PersonalizeDialog> { { d => d.Campaign, campaign! } };
        await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<PersonalizeDialog>("Personalize", parameters));
        return provider;
    }

    [Fact]
    public async Task PersonalizeDialog_WhileEstimating_ConfirmIsDisabled_UntilThereIsAnEstimate()
    {
        var (host, scenario) = await StartAsync();
        await using var _ = host;
        var estimate = host.Store.Hold(operation => operation == "get_campaign_recipient_estimation");

        var provider = await OpenDialogAsync(host, scenario.Campaign.Id);

        provider.WaitForElement("[data-testid='estimating']", _timeout);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(estimate.Waiting == 1), _timeout), "the estimate never reached Klaviyo");
        Assert.True(provider.Find("[data-testid='confirm-personalize']").HasAttribute("disabled"));

        estimate.Release();

        provider.WaitForElement("[data-testid='estimated-recipients']", _timeout);
        await provider.InvokeAsync(() => provider.Find("[data-testid='approve-samples'] input[type='checkbox']").Change(true));
        provider.WaitForAssertion(() => Assert.False(provider.Find("[data-testid='confirm-personalize']").HasAttribute("disabled")), _timeout);
    }

    [Fact]
    public async Task PersonalizeDialog_KlaviyoUnreachable_FailsTheEstimateWithTheReason_AndConfirmStaysDisabled()
    {
        var (host, scenario) = await StartAsync();
        await using var _ = host;
        var closed = KlaviyoUnreachableTests.MakeUnreachable(host);

        var provider = await OpenDialogAsync(host, scenario.Campaign.Id);

        var failure = provider.WaitForElement("[data-testid='estimate-failure']", _timeout).TextContent;
        Assert.Contains("The audience could not be estimated", failure, StringComparison.Ordinal);
        Assert.Contains($"could not reach Klaviyo at {closed.Authority} (the connection was refused)", failure, StringComparison.Ordinal);
        Assert.Empty(provider.FindAll("[data-testid='estimating']"));
        Assert.True(provider.Find("[data-testid='confirm-personalize']").HasAttribute("disabled"));
        Assert.Equal("settings", provider.Find("[data-testid='estimate-settings-link']").GetAttribute("href"));

        // Klaviyo back: estimating again gives the estimate and allows Confirm.
        KlaviyoUnreachableTests.SetBaseUrl(host, host.Sandbox.BaseUrl);
        await provider.InvokeAsync(() => provider.Find("[data-testid='estimate-retry']").Click());

        provider.WaitForElement("[data-testid='estimated-recipients']", _timeout);
        await provider.InvokeAsync(() => provider.Find("[data-testid='approve-samples'] input[type='checkbox']").Change(true));
        provider.WaitForAssertion(() => Assert.False(provider.Find("[data-testid='confirm-personalize']").HasAttribute("disabled")), _timeout);
    }

    [Fact]
    public async Task RunDetails_RunFailedOnAnUnreachableKlaviyo_ShowsTheReason_ALinkToSettings_AndRetryStartsANewRunWithTheSameMessages()
    {
        var (host, scenario) = await StartAsync(startScheduler: true);
        await using var _ = host;
        var messageIds = new[] { scenario.Campaign.Messages[0].Id };
        KlaviyoUnreachableTests.MakeUnreachable(host);
        var started = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, messageIds, RunTrigger.Manual, "test"), CancellationToken.None);
        var failed = await RunScenario.WaitForStateAsync(host, started.Run!.Id, RunState.Failed, _timeout);

        var page = Render<RunDetailsPage>(p => p.Add(x => x.CampaignId, scenario.Campaign.Id).Add(x => x.RunId, failed.Id));

        var error = page.WaitForElement("[data-testid='run-error']", _timeout).TextContent;
        Assert.Contains("This run failed.", error, StringComparison.Ordinal);
        Assert.Contains("Refly could not reach Klaviyo", error, StringComparison.Ordinal);
        Assert.Equal("settings", page.Find("[data-testid='run-settings-link']").GetAttribute("href"));
        Assert.Equal("not estimated", page.Find("[data-testid='run-total']").TextContent.Trim());
        // The samples ask Klaviyo too: they end with the reason, not an endless "Loading sample contacts...".
        page.WaitForAssertion(() => Assert.Contains("Sample contacts could not be loaded", page.Find("[data-testid='run-samples']").TextContent, StringComparison.Ordinal), _timeout);
        Assert.DoesNotContain("Loading sample contacts", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("estimating", page.Markup, StringComparison.Ordinal);

        KlaviyoUnreachableTests.SetBaseUrl(host, host.Sandbox.BaseUrl);
        await page.InvokeAsync(() => page.Find("[data-testid='run-retry']").Click());

        var navigation = Services.GetRequiredService<NavigationManager>();
        page.WaitForAssertion(() => Assert.DoesNotContain(failed.Id.ToString(), navigation.Uri, StringComparison.Ordinal), _timeout);
        var newRunId = Guid.Parse(navigation.Uri.TrimEnd('/').Split('/')[^1]);
        var retried = await host.Get<RunStore>().GetAsync(newRunId, CancellationToken.None);
        Assert.NotNull(retried);
        Assert.Equal(scenario.Campaign.Id, retried.CampaignKlaviyoId);
        Assert.Equal(messageIds, retried.MessageIds);
        Assert.Equal(RunTrigger.Manual, retried.Trigger);
        Assert.Contains($"marketing/campaigns/{scenario.Campaign.Id}/runs/{newRunId}", navigation.Uri, StringComparison.Ordinal);
    }
}
