using System.Globalization;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;
using Xunit.Abstractions;

namespace Refly.Tests.Integration.Personalization;

/// <summary>
/// Klaviyo's limits are per account: every private-key integration shares them. A run must leave room for the store's
/// other integrations and follow what the RateLimit-* headers show them using.
/// </summary>
public sealed class SharedRateLimitTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_WithANeighbourReadingListProfilesAtThirtyPercent_CompletesAndBothSeeAtMostTwoPercent429s()
    {
        // The issue's store, at twice Klaviyo's limits to keep the CPU light: the neighbour reads list profiles at 30% of
        // the steady limit of get_profiles_for_list with its own key, from the start of a steady window. Klaviyo's
        // windows are a minute long and a 429 comes only once a minute's count is spent, so the run must outlast one:
        // 125,000 contacts. Paced at 98% of the limit as before, Refly and the neighbour spend the window after about
        // 49 s and the neighbour meets 429s until the minute is over (some 15% of its requests); paced from the
        // headers, Refly takes what is left and nobody is throttled.
        const double multiplier = 2;
        const long contacts = 125_000;
        var steadyPerMinute = KlaviyoEndpoints.GetProfilesForList.SteadyPerMinute * multiplier;
        var clock = new ShiftedClock();
        await using var host = await CoreTestHost.StartAsync(
            o =>
            {
                o.RateLimitMultiplier = multiplier;
                o.RateLimitTimeProvider = clock;
            },
            settings: new Dictionary<string, string?> { ["Klaviyo:RateLimitScale"] = multiplier.ToString(CultureInfo.InvariantCulture) });
        var audience = host.Store.AddList("Audience", contacts);
        var campaign = host.Store.AddCampaign("Big", CampaignStatuses.Draft, host.Store.TimeProvider.GetUtcNow().AddDays(2),
            [new MessageSeed("Email", "Subject", "Preview", RunScenario.Html)], [audience.Id]);
        var neighboursList = host.Store.AddList("The neighbour's list", 50_000);
        var stats = host.Get<KlaviyoClientStats>();

        var run = await RunScenario.StartAsync(host, campaign.Id, [campaign.Messages[0].Id]);

        // From Refly's first page on, a fresh window: the neighbour starts reading while Refly is at full pace.
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Store.Counters.RequestsFor("get_profiles_for_list") > 0), TimeSpan.FromSeconds(60)));
        clock.StartAMinuteNow();
        var neighbour = SandboxNeighbour.Start(host.Sandbox.BaseUrl, host.Store.IssuePrivateKey(), neighboursList.Id,
            requestsPerMinute: 0.3 * steadyPerMinute, pageSize: 20);
        PersonalizationRun done;
        try
        {
            done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(240));
        }
        finally
        {
            await neighbour.DisposeAsync();
        }

        Assert.Equal(contacts, done.Written);
        var reflyRequests = stats.TotalRequestsSent;
        var reflyThrottled = stats.TotalRateLimited;
        var seconds = (done.FinishedAt!.Value - done.StartedAt!.Value).TotalSeconds;
        var summary = string.Create(CultureInfo.InvariantCulture,
            $"neighbour {neighbour.Throttled} 429s of {neighbour.Requests}; Refly {reflyThrottled} of {reflyRequests}; run {seconds:0.0} s");
        output.WriteLine(summary);

        // The run outlasted a window and the neighbour really read at its rate meanwhile (else the test proves nothing).
        Assert.True(seconds > 60, summary);
        Assert.True(neighbour.Requests >= 0.3 * steadyPerMinute / 60 * seconds * 0.8, summary);
        Assert.Equal(0, neighbour.Failed);
        Assert.True(neighbour.Throttled <= 0.02 * neighbour.Requests, summary);
        Assert.True(reflyThrottled <= 0.02 * reflyRequests, summary);
    }

    /// <summary>The system clock, shifted on demand so that a minute (a steady window of the sandbox) starts now.</summary>
    private sealed class ShiftedClock : TimeProvider
    {
        private long _shiftTicks;

        public void StartAMinuteNow() =>
            Interlocked.Exchange(ref _shiftTicks, TimeSpan.TicksPerMinute - (System.GetUtcNow().UtcTicks % TimeSpan.TicksPerMinute));

        public override DateTimeOffset GetUtcNow() => System.GetUtcNow().AddTicks(Interlocked.Read(ref _shiftTicks));
    }
}
