using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Impact.Reporting;
using Refly.Core.Klaviyo;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Sandbox;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Impact;

/// <summary>
/// The report queue against the sandbox over real HTTP, real SQLite: what it stores equals what the sandbox generated,
/// many campaigns go in one query, the schedule steps on, the pacer makes a third query within a minute wait, and the
/// daily budget refuses before Klaviyo would.
/// </summary>
public sealed class CampaignReportQueueTests
{
    private const string QueryOperation = "query_campaign_values";

    [Fact]
    public async Task Drain_StoresEachMessagesNumbers_EqualToWhatTheSandboxGenerated_TwoCampaignsInOneQuery_ThenTheNextStepIsDue()
    {
        // The sandbox's clock: the send 3 hours ago (real time, which Core runs on), events generated until 9 days on.
        var sentAt = Truncate(DateTimeOffset.UtcNow.AddHours(-3));
        var time = new FakeTimeProvider(sentAt);
        await using var host = await CoreTestHost.StartAsync(o => { o.TimeProvider = time; o.RateLimitMultiplier = 1000; }, startScheduler: false);
        var (campaign, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 3_000, personalize: true);
        var (other, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 400, personalize: false, name: "Other campaign");
        var (unrelated, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 100, personalize: false, name: "Third campaign");
        time.Advance(TimeSpan.FromDays(9));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var queries = host.Store.Counters.RequestsFor(QueryOperation);

        var drained = await host.Get<CampaignReportQueue>().DrainAsync(CancellationToken.None);

        Assert.Equal(1, drained.Queries);
        Assert.Equal(queries + 1, host.Store.Counters.RequestsFor(QueryOperation));
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        var rows = await db.CampaignReportRows.AsNoTracking().ToListAsync();
        var placedOrder = SandboxMetrics.ByCode(SandboxMetrics.PlacedOrder);
        foreach (var sent in new[] { campaign, other, unrelated })
        {
            var tally = host.Store.GetCampaignSend(sent.Id)!.Tally(long.MaxValue, SandboxMetrics.PlacedOrder);
            for (var m = 0; m < sent.Messages.Count; m++)
            {
                var row = Assert.Single(rows, r => r.CampaignKlaviyoId == sent.Id && r.MessageKlaviyoId == sent.Messages[m].Id);
                Assert.Equal(tally.Counts[m, SandboxMetrics.ReceivedEmail], row.Recipients);
                Assert.Equal(tally.Counts[m, SandboxMetrics.OpenedEmail], row.UniqueOpens);
                Assert.Equal(tally.Counts[m, SandboxMetrics.ClickedEmail], row.UniqueClicks);
                Assert.Equal(tally.ConversionUniques[m], row.UniqueConversions);
                Assert.Equal(tally.ConversionValueCents[m] / 100.0, row.ConversionValue, 6);
                Assert.Equal(placedOrder.Id, row.ConversionMetricId);
            }
        }
        Assert.Equal(2 * 3, rows.Count);

        // Read 3 h after the send: the 2 h step is done, the next is 24 h after the send.
        var schedule = (await db.CampaignReportSchedules.AsNoTracking().SingleAsync(s => s.CampaignKlaviyoId == campaign.Id));
        Assert.Equal(sentAt + TimeSpan.FromHours(24), schedule.NextDueAt);
        Assert.Equal(1, schedule.Fetches);
        Assert.Null(schedule.LastError);
        // Nothing is due any more: a second drain asks Klaviyo nothing.
        Assert.Equal(0, (await host.Get<CampaignReportQueue>().DrainAsync(CancellationToken.None)).Queries);
        Assert.Equal(queries + 1, host.Store.Counters.RequestsFor(QueryOperation));
    }

    [Fact]
    public async Task ThirdQueryWithinAMinute_WaitsForThePacer_NeverRefusedByKlaviyo()
    {
        // One fake clock for Core's Klaviyo pacing and the sandbox's rate-limit windows (published limits: 1/s, 2/min);
        // it runs fast in the background, so waits are short in real time and no assertion depends on real time.
        var clock = new FakeTimeProvider(Truncate(DateTimeOffset.UtcNow));
        var sendClock = new FakeTimeProvider(Truncate(DateTimeOffset.UtcNow.AddHours(-3)));
        await using var host = await CoreTestHost.StartAsync(
            o => { o.TimeProvider = sendClock; o.RateLimitTimeProvider = clock; },
            startScheduler: false,
            configureServices: s => s.AddSingleton(sp => new KlaviyoRateLimiters(sp.GetRequiredService<IOptionsMonitor<KlaviyoOptions>>(), clock)));
        var (campaign, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, sendClock, recipients: 200, personalize: false);
        sendClock.Advance(TimeSpan.FromDays(1));
        using var stop = new CancellationTokenSource();
        var ticking = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                clock.Advance(TimeSpan.FromMilliseconds(500));
                await Task.Delay(5);
            }
        });
        try
        {
            await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
            var queue = host.Get<CampaignReportQueue>();
            var finished = new List<DateTimeOffset>();
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(ReportRefreshOutcome.Queued, (await queue.RequestRefreshAsync(campaign.Id, CancellationToken.None)).Outcome);
                var drained = await queue.DrainAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
                Assert.Equal(1, drained.Queries);
                finished.Add(clock.GetUtcNow());
            }

            Assert.Equal(3, host.Store.Counters.RequestsFor(QueryOperation));
            Assert.Equal(0, host.Store.Counters.ThrottledFor(QueryOperation));
            // Klaviyo allows 2 a minute: the third query went out only once the minute of the first had passed.
            Assert.True(finished[2] - finished[0] >= TimeSpan.FromMinutes(1), $"three queries within {finished[2] - finished[0]}");
            var schedule = await queue.ScheduleOfAsync(campaign.Id, CancellationToken.None);
            Assert.Equal(3, schedule!.Fetches);
            Assert.Null(schedule.LastError);
        }
        finally
        {
            await stop.CancelAsync();
            await ticking;
        }
    }

    [Fact]
    public async Task DailyBudgetSpent_RefreshIsRefusedWithTheNextMidnightUtc_AndNoQueryIsSent()
    {
        var sentAt = Truncate(DateTimeOffset.UtcNow.AddHours(-3));
        var time = new FakeTimeProvider(sentAt);
        await using var host = await CoreTestHost.StartAsync(o => { o.TimeProvider = time; o.RateLimitMultiplier = 1000; },
            settings: new Dictionary<string, string?> { ["Impact:Reporting:DailyQueryBudget"] = "1" }, startScheduler: false);
        var (campaign, _) = SandboxEmailEventsTests.SendAb(host.Sandbox, time, recipients: 200, personalize: false);
        time.Advance(TimeSpan.FromDays(1));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var queue = host.Get<CampaignReportQueue>();
        Assert.Equal(1, (await queue.DrainAsync(CancellationToken.None)).Queries);

        var refused = await queue.RequestRefreshAsync(campaign.Id, CancellationToken.None);

        var now = DateTimeOffset.UtcNow;
        var midnight = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero).AddDays(1);
        Assert.Equal(ReportRefreshOutcome.BudgetSpent, refused.Outcome);
        // (A test running across midnight UTC would see the next one.)
        Assert.True(refused.NextAllowedAt == midnight || refused.NextAllowedAt == midnight.AddDays(1), $"next allowed at {refused.NextAllowedAt:u}");
        var status = await host.Get<ReportingBudget>().StatusAsync(CancellationToken.None);
        Assert.True(status.Spent);
        Assert.Equal(1, status.Used);

        // Even a campaign that is due is not asked for: the day's budget holds the query back.
        await using (var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync())
        {
            var schedule = await db.CampaignReportSchedules.SingleAsync(s => s.CampaignKlaviyoId == campaign.Id);
            schedule.NextDueAt = now.AddMinutes(-1);
            await db.SaveChangesAsync();
        }
        var requests = host.Store.Counters.RequestsFor(QueryOperation);
        var drained = await queue.DrainAsync(CancellationToken.None);
        Assert.True(drained.StoppedByBudget);
        Assert.Equal(0, drained.Queries);
        Assert.Equal(requests, host.Store.Counters.RequestsFor(QueryOperation));
        var impact = await host.Get<CampaignImpactService>().GetAsync(campaign.Id, CancellationToken.None);
        Assert.Equal(CampaignImpactState.Ready, impact.State);
        Assert.True(impact.NextFetchAt >= midnight, $"next fetch at {impact.NextFetchAt:u}");
    }

    [Fact]
    public async Task Impact_MarksAMessagePersonalizedWhenACompletedOrStillSwitchedRunPersonalizedIt()
    {
        var time = new FakeTimeProvider(Truncate(DateTimeOffset.UtcNow.AddHours(-3)));
        await using var host = await CoreTestHost.StartAsync(o => { o.TimeProvider = time; o.RateLimitMultiplier = 1000; }, startScheduler: false);
        var list = host.Store.AddList("Audience", 600);
        var sent = host.Store.AddCampaign("Three variations", CampaignStatuses.Draft, null,
            [
                new MessageSeed("Variation A", "Subject A", "Preview", "<p>A</p>"),
                new MessageSeed("Variation B", "Subject B", "Preview", "<p>B</p>"),
                new MessageSeed("Variation C", "Subject C", "Preview", "<p>C</p>"),
                new MessageSeed("", "Subject D", "Preview", "<p>D</p>"),
            ],
            [list.Id]);
        host.Store.SetCampaignStatus(sent.Id, CampaignStatuses.Sent, time.GetUtcNow());
        var campaign = host.Store.GetCampaign(sent.Id)!;
        var (a, b, c, d) = (campaign.Messages[0].Id, campaign.Messages[1].Id, campaign.Messages[2].Id, campaign.Messages[3].Id);
        time.Advance(TimeSpan.FromDays(1));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        // A: completed. B: cancelled (content restored). C: failed after writing, content still switched at the send.
        await AddRunAsync(host, campaign.Id, [a], RunState.Completed, written: 150, switched: true, cleanedUp: false);
        await AddRunAsync(host, campaign.Id, [b], RunState.Cancelled, written: 80, switched: true, cleanedUp: true);
        await AddRunAsync(host, campaign.Id, [c], RunState.Failed, written: 40, switched: true, cleanedUp: false);
        await AddRunAsync(host, campaign.Id, [d], RunState.Failed, written: 0, switched: false, cleanedUp: true);
        var service = host.Get<CampaignImpactService>();
        Assert.Equal(CampaignImpactState.Pending, (await service.GetAsync(campaign.Id, CancellationToken.None)).State);

        await host.Get<CampaignReportQueue>().DrainAsync(CancellationToken.None);
        var result = await service.GetAsync(campaign.Id, CancellationToken.None);

        Assert.Equal(CampaignImpactState.Ready, result.State);
        var impact = result.Impact!;
        Assert.Equal([a, b, c, d], impact.Messages.Select(m => m.MessageId));
        Assert.Equal([true, false, true, false], impact.Messages.Select(m => m.Personalized));
        // The label is the variation's name, else its subject.
        Assert.Equal(["Variation A", "Variation B", "Variation C", "Subject D"], impact.Messages.Select(m => m.Label));
        Assert.All(impact.Messages, m => Assert.Equal(150, m.Rates.Recipients));
        // The lift compares A and C together against B and D.
        var expected = LiftCalculator.Compare(
            ImpactRates.Sum(impact.Messages.Where(m => m.Personalized).Select(m => m.Rates)),
            ImpactRates.Sum(impact.Messages.Where(m => !m.Personalized).Select(m => m.Rates)));
        Assert.Equal(expected, impact.Lift);
        Assert.Equal(ImpactSource.Reporting, impact.Source);
    }

    [Fact]
    public async Task Impact_OfACampaignNotSent_SaysSo_AndRefreshIsRefused()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        var draft = host.Store.AddCampaign("Draft", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(2));
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var result = await host.Get<CampaignImpactService>().GetAsync(draft.Id, CancellationToken.None);

        Assert.Equal(CampaignImpactState.NotSent, result.State);
        Assert.Contains("not Sent", result.Message, StringComparison.Ordinal);
        Assert.Equal(CampaignImpactState.NotFound, (await host.Get<CampaignImpactService>().GetAsync("NOPE", CancellationToken.None)).State);
        Assert.Equal(ReportRefreshOutcome.NotSent, (await host.Get<CampaignReportQueue>().RequestRefreshAsync(draft.Id, CancellationToken.None)).Outcome);
        Assert.Equal(ReportRefreshOutcome.CampaignNotFound, (await host.Get<CampaignReportQueue>().RequestRefreshAsync("NOPE", CancellationToken.None)).Outcome);
    }

    private static async Task AddRunAsync(CoreTestHost host, string campaignId, List<string> messageIds, RunState state, long written, bool switched, bool cleanedUp)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        var campaign = await db.Campaigns.AsNoTracking().SingleAsync(c => c.KlaviyoId == campaignId);
        var at = DateTimeOffset.UtcNow.AddHours(-5);
        db.Runs.Add(new PersonalizationRun
        {
            Id = Guid.NewGuid(),
            CampaignId = campaign.Id,
            CampaignKlaviyoId = campaignId,
            MessageIds = messageIds,
            Trigger = RunTrigger.Manual,
            StartedBy = "a marketer",
            State = state,
            Processed = written,
            Written = written,
            CreatedAt = at,
            StartedAt = at,
            FinishedAt = at.AddMinutes(3),
            ContentSwitched = switched,
            CleanedUp = cleanedUp,
        });
        await db.SaveChangesAsync();
    }

    private static DateTimeOffset Truncate(DateTimeOffset value) => new(value.Ticks / TimeSpan.TicksPerSecond * TimeSpan.TicksPerSecond, TimeSpan.Zero);
}
