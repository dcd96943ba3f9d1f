using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using Refly.Core.Impact;
using Refly.Core.Klaviyo;
using Refly.Core.Settings;
using Refly.Dashboard.Components.Impact;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>The conversion metric section of Settings over real Core services: the account's metrics from get_metrics.</summary>
public sealed class ConversionMetricSettingsSectionTests : MudTestContext, IAsyncLifetime
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(15);
    private CoreTestHost _host = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _host = await CoreTestHost.StartAsync(withSettings: true, startScheduler: false);
        Services.AddSingleton(_host.Get<SettingsService>());
        Services.AddSingleton(_host.Get<ConversionMetricSettings>());
        Services.AddSingleton(_host.Get<IKlaviyoClient>());
        Services.AddSingleton(_host.Get<IOptionsMonitor<ImpactOptions>>());
        Render<MudPopoverProvider>();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public void Default_IsPlacedOrder_AndSavingWritesTheChosenMetricsId()
    {
        var placedOrder = SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder);
        Assert.Null(_host.Get<IOptionsMonitor<ImpactOptions>>().CurrentValue.ConversionMetricId);

        var cut = Render<ConversionMetricSettingsSection>();

        cut.WaitForAssertion(() => Assert.Contains("Placed Order (Shopify)", cut.Find("[data-testid='conversion-metric-select']").OuterHtml, StringComparison.Ordinal), _timeout);
        Assert.Contains("From configuration", cut.Find("[data-testid='conversion-metric-settings']").TextContent, StringComparison.Ordinal);
        cut.Find("[data-testid='save-conversion-metric']").Click();

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid='settings-saved']")), _timeout);
        Assert.Equal(placedOrder.Id, _host.Get<IOptionsMonitor<ImpactOptions>>().CurrentValue.ConversionMetricId);
        Assert.Contains("Saved here", cut.Find("[data-testid='conversion-metric-settings']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASavedMetric_IsTheOneSelected()
    {
        var opened = SandboxMetrics.ByCode(SandboxMetrics.OpenedEmail);
        var result = await _host.Get<SettingsService>().SaveAsync(_host.Get<ConversionMetricSettings>(), new ConversionMetricSettingsInput(opened.Id), CancellationToken.None);
        Assert.True(result.Succeeded, string.Join(" ", result.Errors));

        var cut = Render<ConversionMetricSettingsSection>();

        cut.WaitForAssertion(() => Assert.Contains("Opened Email (Klaviyo)", cut.Find("[data-testid='conversion-metric-select']").OuterHtml, StringComparison.Ordinal), _timeout);
        Assert.DoesNotContain("Placed Order", cut.Find("[data-testid='conversion-metric-select']").OuterHtml, StringComparison.Ordinal);
    }
}
