using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using Xunit.Abstractions;
using static Refly.Tests.Integration.Triggers.TagTriggerFixture;

namespace Refly.Tests.Integration.Triggers;

/// <summary>
/// Tags allow 3 requests a second and 60 a minute: a poll must cost a small constant number of tag requests, whatever the
/// number of tagged campaigns. The scheduler is off so started runs stay Queued and every request counted is the poll's.
/// </summary>
public sealed class TagPollingCostTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(20)]
    [InlineData(60)]
    public async Task Poll_TagRequestsPerPoll_AreConstantWhateverTheNumberOfTaggedCampaigns(int taggedCount)
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        Seed(host.Store, total: taggedCount + 20, tagged: taggedCount);
        await SyncAsync(host);

        foreach (var poll in new[] { "first (starts runs)", "second (steady state)" })
        {
            var before = host.Store.Counters.Snapshot();
            var result = await PollAsync(host);
            var delta = Delta(before, host.Store.Counters.Snapshot());
            output.WriteLine($"{taggedCount} tagged, {poll}: {Describe(delta)}");

            Assert.Equal(taggedCount, result.TaggedCampaigns);
            Assert.Equal(1, delta.GetValueOrDefault("get_tags"));
            Assert.Equal(1, delta.GetValueOrDefault("get_campaign_ids_for_tag"));
            Assert.Equal(2, result.TagRequests);
            Assert.Equal(2, delta.Values.Sum());
        }
        Assert.Equal(0, host.Store.Counters.Throttled);
    }

    /// <summary>The number the issue asks for: an account with 1,000 campaigns of which 20 carry the tag.</summary>
    [Fact]
    public async Task Measure_1000CampaignsWith20Tagged_RequestsPerPoll()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        Seed(host.Store, total: 1000, tagged: 20);

        // Cold: nothing synced yet (e.g. the first poll right after installing), the 20 tagged campaigns are fetched one by one.
        var before = host.Store.Counters.Snapshot();
        var cold = await PollAsync(host);
        var coldDelta = Delta(before, host.Store.Counters.Snapshot());
        output.WriteLine($"cold poll (no local copy): {Describe(coldDelta)}; runs started {cold.StartedRunIds.Count}; throttled get_campaign {host.Store.Counters.ThrottledFor("get_campaign")}");

        await SyncAsync(host);
        before = host.Store.Counters.Snapshot();
        var steady = await PollAsync(host);
        var steadyDelta = Delta(before, host.Store.Counters.Snapshot());
        output.WriteLine($"steady poll (synced): {Describe(steadyDelta)}; runs started {steady.StartedRunIds.Count}");

        Assert.Equal(20, cold.StartedRunIds.Count);
        Assert.Equal(1, coldDelta.GetValueOrDefault("get_tags"));
        Assert.Equal(1, coldDelta.GetValueOrDefault("get_campaign_ids_for_tag"));
        // One read per unknown tagged campaign; a rare 429 at the campaign endpoint's window boundary adds its retry.
        Assert.InRange(coldDelta.GetValueOrDefault("get_campaign"), 20, 22);
        Assert.Equal(20, cold.CampaignRequests);
        Assert.Empty(steady.StartedRunIds);
        Assert.Equal(2, steadyDelta.Values.Sum());
        Assert.Equal(0, host.Store.Counters.ThrottledFor("get_tags") + host.Store.Counters.ThrottledFor("get_campaign_ids_for_tag"));
    }

    [Fact]
    public async Task Poll_ManyUnknownTaggedCampaigns_FetchesAtMostTheConfiguredNumberPerPoll()
    {
        await using var host = await CoreTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Triggers:MaxCampaignRefreshesPerPoll"] = "5" }, startScheduler: false);
        Seed(host.Store, total: 12, tagged: 12);

        var first = await PollAsync(host);
        var second = await PollAsync(host);
        var third = await PollAsync(host);

        Assert.Equal([5, 5, 2], new[] { first.CampaignRequests, second.CampaignRequests, third.CampaignRequests });
        Assert.Equal(12, first.StartedRunIds.Count + second.StartedRunIds.Count + third.StartedRunIds.Count);
    }

    /// <summary><paramref name="total"/> campaigns of every status; the first <paramref name="tagged"/> are Scheduled and tagged.</summary>
    private static void Seed(SandboxStore store, int total, int tagged)
    {
        var now = store.TimeProvider.GetUtcNow();
        string[] others = [CampaignStatuses.Draft, CampaignStatuses.Scheduled, CampaignStatuses.Sent, CampaignStatuses.Cancelled];
        var list = store.AddList("Everyone", 100);
        for (var i = 0; i < total; i++)
        {
            var isTagged = i < tagged;
            var status = isTagged ? CampaignStatuses.Scheduled : others[i % others.Length];
            var messages = Enumerable.Range(0, 1 + (i % 3 == 0 ? 1 : 0))
                .Select(m => new MessageSeed($"Variation {m}", $"Subject {i}.{m}", $"Preview {i}", RunScenario.Html));
            store.AddCampaign($"Campaign {i}", status, now.AddDays(1 + (i % 10)), messages, [list.Id], tags: isTagged ? [Tag] : null);
        }
    }

    private static Dictionary<string, long> Delta(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        after.Select(kv => (kv.Key, Value: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(kv => kv.Value != 0)
            .ToDictionary(kv => kv.Key, kv => kv.Value);

    private static string Describe(Dictionary<string, long> delta) =>
        $"{delta.Values.Sum()} request(s): " + string.Join(", ", delta.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}={kv.Value}"));
}
