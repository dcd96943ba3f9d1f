using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Pages.Campaigns;
using Refly.Dashboard.Hosting;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>A campaign's run history over real Core services: every run, newest first, the tag's runs named.</summary>
public sealed class RunHistoryPageTests : MudTestContext
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task History_ListsEveryRunNewestFirst_WithTriggerStarterStateAndCounts()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        Services.AddLogging();
        Services.AddSingleton(host.Get<CampaignQueryService>());
        Services.AddSingleton(host.Get<RunQueryService>());
        AddImpactServices(host);
        Services.AddSingleton(host.Get<IChangeNotifier>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        Render<MudPopoverProvider>();
        var list = host.Store.AddList("Audience", 5);
        var campaign = host.Store.AddCampaign("Winter launch", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(3), included: [list.Id]);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var start = DateTimeOffset.UtcNow.AddHours(-3);
        var tagRun = await RunHistorySeed.AddFinishedRunAsync(host.Services, campaign.Id, RunState.Cancelled, RunTrigger.Tag, "Refly: Personalize", 1_000, 430, start, TimeSpan.FromMinutes(2));
        var completed = await RunHistorySeed.AddFinishedRunAsync(host.Services, campaign.Id, RunState.Completed, RunTrigger.Manual, "ana@example.com", 198_000, 198_000, start.AddHours(1), TimeSpan.FromMinutes(3));

        var page = Render<RunHistoryPage>(p => p.Add(c => c.CampaignId, campaign.Id));

        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tr.run-history-row").Count), _timeout);
        var rows = page.FindAll("tr.run-history-row");
        string Cell(int row, string testId) => rows[row].QuerySelector($"[data-testid='{testId}']")!.TextContent.Trim();
        Assert.Equal(completed.Id.ToString(), rows[0].QuerySelector("[data-run-id]")!.GetAttribute("data-run-id"));
        Assert.Equal("Manual", Cell(0, "history-trigger"));
        Assert.Equal("ana@example.com", Cell(0, "history-starter"));
        Assert.Equal("Completed", Cell(0, "history-state"));
        Assert.Equal("198,000 of 198,000", Cell(0, "history-written"));
        Assert.Contains("3 min", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Equal(tagRun.Id.ToString(), rows[1].QuerySelector("[data-run-id]")!.GetAttribute("data-run-id"));
        Assert.Equal("Tag", Cell(1, "history-trigger"));
        Assert.Equal("Tag “Refly: Personalize”", Cell(1, "history-starter"));
        Assert.Equal("Cancelled at 43%", Cell(1, "history-state"));
        // No run records where its content came from yet: the column is not shown with made-up numbers.
        Assert.Empty(page.FindAll("[data-testid='history-sources-header']"));
        Assert.Contains($"runs/{tagRun.Id}", rows[1].QuerySelector("a[aria-label='Run details']")!.GetAttribute("href"), StringComparison.Ordinal);
    }
}
