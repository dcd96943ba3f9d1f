using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Klaviyo;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Pages.Campaigns;
using Refly.Dashboard.Hosting;
using Refly.KlaviyoSandbox.Store;
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
        AddImpactServices(host);
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

        // The sync reports the rejected key to its caller and records it for the page.
        await Assert.ThrowsAsync<KlaviyoAuthenticationException>(() => host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None));

        page.WaitForAssertion(() => Assert.Contains("Campaign sync failed", page.Find("[data-testid='sync-error']").TextContent, StringComparison.Ordinal), _timeout);
    }

    [Fact]
    public async Task DraftWithAPlannedDatetime_RowSaysPlannedNotScheduled_AndWarnsOnceItHasPassed()
    {
        await using var host = await StartCoreAsync();
        var now = DateTimeOffset.UtcNow;
        var list = host.Store.AddList("Audience", 5);
        host.Store.AddCampaign("Planned long ago", CampaignStatuses.Draft, now.AddDays(-20), included: [list.Id]);
        host.Store.AddCampaign("Planned ahead", CampaignStatuses.Draft, now.AddDays(4), included: [list.Id]);
        host.Store.AddCampaign("Really scheduled", CampaignStatuses.Scheduled, now.AddDays(2), included: [list.Id]);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var page = Render<CampaignsPage>();

        AngleSharp.Dom.IElement Row(string name) => page.FindAll("tr.campaign-row").Single(r => r.TextContent.Contains(name, StringComparison.Ordinal));
        page.WaitForAssertion(() => Assert.Equal(3, page.FindAll("tr.campaign-row").Count), _timeout);
        var past = Row("Planned long ago");
        Assert.Contains("Planned, not scheduled", past.QuerySelector("[data-testid='send-time-planned']")!.TextContent, StringComparison.Ordinal);
        Assert.Contains("set a new send time when you schedule", past.QuerySelector("[data-testid='send-time-planned-warning']")!.GetAttribute("aria-label"), StringComparison.Ordinal);
        var ahead = Row("Planned ahead");
        Assert.NotNull(ahead.QuerySelector("[data-testid='send-time-planned']"));
        Assert.Null(ahead.QuerySelector("[data-testid='send-time-planned-warning']"));
        Assert.Null(Row("Really scheduled").QuerySelector("[data-testid='send-time-planned']"));
    }

    [Fact]
    public async Task RunChangePublished_UpdatesTheRowFromTheEvent()
    {
        await using var host = await StartCoreAsync();
        var list = host.Store.AddList("Audience", 5);
        var campaign = host.Store.AddCampaign("Live row", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(3), included: [list.Id]);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        // The scheduler is not started: the run stays Queued in the database.
        var started = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(campaign.Id, [campaign.Messages[0].Id], RunTrigger.Manual, "test"), CancellationToken.None);
        var page = Render<CampaignsPage>();
        AngleSharp.Dom.IElement Cell() => page.Find("tr.campaign-row [data-testid='personalization-state']");
        page.WaitForAssertion(() => Assert.Equal("Queued", Cell().GetAttribute("data-state")), _timeout);

        // What the run executor's store publishes after a checkpoint, pushed through the app's notifier; the database still
        // says Queued, so the row can only show this progress from the event.
        var run = await host.Get<RunStore>().GetAsync(started.Run!.Id, CancellationToken.None);
        Assert.NotNull(run);
        run.State = RunState.InProgress;
        run.TotalEstimate = 5;
        run.Written = 3;
        run.Processed = 3;
        host.Get<IChangeNotifier>().Publish(new RunChanged(run.Id, run.CampaignKlaviyoId, run));

        page.WaitForAssertion(() =>
        {
            Assert.Equal("InProgress", Cell().GetAttribute("data-state"));
            Assert.Equal("3", Cell().GetAttribute("data-written"));
        }, _timeout);
        Assert.Contains("In Progress", Cell().TextContent, StringComparison.Ordinal);
    }
}

/// <summary>The campaigns table's lift column for Sent campaigns, from stored report numbers.</summary>
public sealed class CampaignsLiftColumnTests : MudTestContext
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task SentCampaigns_ShowTheirOpenRateLift_NotSignificantYet_OrADash_AndOthersNothing()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        Services.AddLogging();
        Services.AddSingleton(host.Get<CampaignQueryService>());
        Services.AddSingleton(host.Get<IChangeNotifier>());
        Services.AddSingleton(host.Get<SyncStatus>());
        Services.AddSingleton(host.Get<RunQueryService>());
        Services.AddSingleton(host.Get<PersonalizationRunService>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        AddImpactServices(host);
        Render<MudPopoverProvider>();
        var winner = ImpactSeed.AddSentAb(host.Store, "Winner", TimeSpan.FromHours(30));
        var close = ImpactSeed.AddSentAb(host.Store, "Too close", TimeSpan.FromHours(29));
        var waiting = ImpactSeed.AddSentAb(host.Store, "Just sent", TimeSpan.FromMinutes(20));
        var draft = host.Store.AddCampaign("Draft", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(3));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        await ImpactSeed.AddReportAsync(host.Services, winner.Id,
            (winner.Messages[0].Id, new ImpactRates(20_000, 6_240, 800, 100, 4_000)), (winner.Messages[1].Id, new ImpactRates(20_000, 6_000, 780, 96, 3_800)));
        await ImpactSeed.AddCompletedRunAsync(host.Services, winner.Id, winner.Messages[0].Id);
        await ImpactSeed.AddReportAsync(host.Services, close.Id,
            (close.Messages[0].Id, new ImpactRates(1_000, 305, 40, 5, 200)), (close.Messages[1].Id, new ImpactRates(1_000, 300, 40, 5, 200)));
        await ImpactSeed.AddCompletedRunAsync(host.Services, close.Id, close.Messages[0].Id);

        var page = Render<CampaignsPage>();

        string Lift(string campaignId) =>
            page.Find($"td[data-campaign-id='{campaignId}']").ParentElement!.QuerySelector("[data-testid='lift-cell']")!.TextContent.Trim();
        page.WaitForAssertion(() => Assert.Equal(4, page.FindAll("tr.campaign-row").Count), _timeout);
        // 31.2% vs 30.0% on 20,000 each: +1.2 points, interval above zero.
        Assert.Equal("+1.2 pts opens", Lift(winner.Id));
        Assert.Equal("not significant yet", Lift(close.Id));
        Assert.Equal("—", Lift(waiting.Id));
        Assert.Equal("", Lift(draft.Id));
        // Below 1600 px the same text shows under the personalization.
        var inline = page.Find($"td[data-campaign-id='{winner.Id}']").ParentElement!.QuerySelector("[data-testid='lift-inline']")!;
        Assert.Equal("Lift: +1.2 pts opens", inline.TextContent.Trim());
    }
}
