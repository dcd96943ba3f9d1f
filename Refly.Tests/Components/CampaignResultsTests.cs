using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Notifications;
using Refly.Dashboard.Components.Impact;
using Refly.Dashboard.Hosting;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>The results section over real Core services: per message numbers, the lift and its significance, the holdout.</summary>
public sealed class CampaignResultsTests : MudTestContext
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(15);

    // Open rate 36% vs 30% on 10,000 each: significant. Click rate 5.0% vs 4.9%: the interval spans zero.
    private static readonly ImpactRates _personalized = new(10_000, 3_600, 500, 100, 5_000);
    private static readonly ImpactRates _control = new(10_000, 3_000, 490, 95, 4_000);

    private readonly SettableHoldouts _holdouts = new();

    private async Task<CoreTestHost> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var host = await CoreTestHost.StartAsync(settings: settings, startScheduler: false, configureServices: s => s.AddSingleton<IHoldoutImpactSource>(_holdouts));
        Services.AddLogging();
        Services.AddSingleton(host.Get<IChangeNotifier>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        AddImpactServices(host);
        Render<MudPopoverProvider>();
        return host;
    }

    private static async Task<SandboxCampaign> SentAbAsync(CoreTestHost host, bool withReport = true)
    {
        var campaign = ImpactSeed.AddSentAb(host.Store, "Spring A/B", TimeSpan.FromHours(5));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        if (withReport)
        {
            await ImpactSeed.AddReportAsync(host.Services, campaign.Id, (campaign.Messages[0].Id, _personalized), (campaign.Messages[1].Id, _control));
            await ImpactSeed.AddCompletedRunAsync(host.Services, campaign.Id, campaign.Messages[0].Id);
        }
        return campaign;
    }

    [Fact]
    public async Task AbResults_ShowEachMessage_TheLiftWithItsInterval_AndNotSignificantYetWhenItSpansZero()
    {
        await using var host = await StartAsync();
        var campaign = await SentAbAsync(host);

        var cut = Render<CampaignResults>(p => p.Add(c => c.CampaignId, campaign.Id));

        cut.WaitForAssertion(() => Assert.Equal(2, cut.FindAll("[data-testid='results-message-row']").Count), _timeout);
        var rows = cut.FindAll("[data-testid='results-message-row']");
        Assert.Equal(campaign.Messages[0].Id, rows[0].GetAttribute("data-message-id"));
        Assert.NotNull(rows[0].QuerySelector("[data-testid='results-personalized-chip']"));
        Assert.Null(rows[1].QuerySelector("[data-testid='results-personalized-chip']"));
        Assert.Contains("Variation A", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("10,000", rows[0].QuerySelector("[data-testid='results-recipients']")!.TextContent.Trim());
        Assert.Equal("36.0%", rows[0].QuerySelector("[data-testid='results-open-rate']")!.TextContent.Trim());
        Assert.Equal("30.0%", rows[1].QuerySelector("[data-testid='results-open-rate']")!.TextContent.Trim());
        Assert.Equal("4.9%", rows[1].QuerySelector("[data-testid='results-click-rate']")!.TextContent.Trim());
        Assert.Equal("0.50", rows[0].QuerySelector("[data-testid='results-rpr']")!.TextContent.Trim());

        string Lift(string metric, string testId) => cut.Find($"[data-testid='results-lift-row'][data-metric='{metric}'] [data-testid='{testId}']").TextContent.Trim();
        var opens = LiftCalculator.Proportion(ImpactMetric.OpenRate, 3_600, 10_000, 3_000, 10_000);
        Assert.Equal("+6.0 pts", Lift("OpenRate", "results-lift-absolute"));
        Assert.Equal("+20.0%", Lift("OpenRate", "results-lift-relative"));
        Assert.Equal(ImpactText.Interval(opens), Lift("OpenRate", "results-lift-interval"));
        Assert.Equal("significant", Lift("OpenRate", "results-lift-significance"));
        Assert.Equal("+0.1 pts", Lift("ClickRate", "results-lift-absolute"));
        Assert.Equal("not significant yet", Lift("ClickRate", "results-lift-significance"));
        Assert.Equal("not significant yet", Lift("RevenuePerRecipient", "results-lift-significance"));
        // No holdout: neither its numbers nor its chart.
        Assert.Empty(cut.FindAll("[data-testid='results-holdout']"));
        Assert.Empty(cut.FindAll("[data-testid='results-holdout-chart']"));
    }

    [Fact]
    public async Task WithAHoldout_ShowsPersonalizedVsControl_TheirLift_AndTheCumulativeChart()
    {
        await using var host = await StartAsync();
        var campaign = await SentAbAsync(host);
        var start = DateTimeOffset.UtcNow.AddHours(-5);
        _holdouts.Value = HoldoutImpact.Of(new ImpactRates(9_000, 3_240, 450, 90, 4_500), new ImpactRates(1_000, 250, 40, 8, 350),
            [new(start, 0, 0, 0, 0), new(start.AddHours(1), 0.2, 0.15, 0.02, 0.015), new(start.AddHours(2), 0.3, 0.22, 0.04, 0.03), new(start.AddHours(4), 0.36, 0.25, 0.05, 0.04)]);

        var cut = Render<CampaignResults>(p => p.Add(c => c.CampaignId, campaign.Id));

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid='results-holdout']")), _timeout);
        Assert.Contains("9,000", cut.Find("[data-testid='results-holdout-personalized']").TextContent, StringComparison.Ordinal);
        Assert.Contains("25.0%", cut.Find("[data-testid='results-holdout-control']").TextContent, StringComparison.Ordinal);
        Assert.NotNull(cut.Find("[data-testid='results-holdout-chart']").QuerySelector("svg"));
        // The headline lift is the holdout's (36% vs 25% opens), not the A/B messages'.
        Assert.Equal("+11.0 pts", cut.Find("[data-testid='results-lift-row'][data-metric='OpenRate'] [data-testid='results-lift-absolute']").TextContent.Trim());
    }

    [Fact]
    public async Task BeforeAnyFetch_SaysWhenResultsArrive_AndASpentBudgetDisablesRefreshWithTheReason()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Impact:Reporting:DailyQueryBudget"] = "0" });
        var campaign = await SentAbAsync(host, withReport: false);

        var cut = Render<CampaignResults>(p => p.Add(c => c.CampaignId, campaign.Id));

        cut.WaitForAssertion(() => Assert.Contains("Results arrive about 2 hours after the send.", cut.Find("[data-testid='results-pending']").TextContent, StringComparison.Ordinal), _timeout);
        Assert.True(cut.Find("button[data-testid='results-refresh']").HasAttribute("disabled"));
        Assert.Contains("budget is spent", cut.Find("[data-testid='results-refresh-reason']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ACampaignNotSent_ShowsNoResultsSection()
    {
        await using var host = await StartAsync();
        var draft = host.Store.AddCampaign("Draft", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(2));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var cut = Render<CampaignResults>(p => p.Add(c => c.CampaignId, draft.Id));

        cut.WaitForState(() => cut.Instance is not null, _timeout);
        Assert.Empty(cut.FindAll("[data-testid='campaign-results']"));
    }

    private sealed class SettableHoldouts : IHoldoutImpactSource
    {
        public HoldoutImpact? Value { get; set; }

        public Task<HoldoutImpact?> GetAsync(string campaignKlaviyoId, CancellationToken cancellationToken) => Task.FromResult(Value);
    }
}
