using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using Xunit.Abstractions;

namespace Refly.Tests.Integration.Operations;

/// <summary>
/// Issue 13 item 1 as an operator meets it: two published app processes (<c>dotnet Refly.Dashboard.dll</c>) on one
/// SQLite file and one Klaviyo (a sandbox in this test process). The first executes the run; the second, started beside
/// it, waits; after a kill -9 of the first, the second takes the run over once its lease expired and finishes it: every
/// contact of the audience written, one run, and no Klaviyo write beyond those the restart says it repeats.
/// </summary>
public sealed class TwoInstancesTests(ITestOutputHelper output) : IDisposable
{
    private const string Token = "two-instances-test-token-0123456789";
    private static readonly TimeSpan _leaseDuration = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan _renewInterval = TimeSpan.FromSeconds(1);

    private readonly string _work = Directory.CreateTempSubdirectory("refly-two-").FullName;

    [Fact]
    public async Task TwoAppsOnOneDatabase_OneExecutesTheRun_TheOtherTakesOverOnlyAfterTheFirstIsKilled_WrittenEqualsAudience()
    {
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions
        {
            Seed = SandboxSeeds.Empty,
            Latency = TimeSpan.FromMilliseconds(20),
            ImportJobDelay = TimeSpan.FromMilliseconds(800),
            RateLimitMultiplier = 20,
        });
        var scenario = RunScenario.Create(sandbox.Store, CampaignStatuses.Draft, sizeA: 3_000);
        var environment = Environment(sandbox);

        await using var first = await PublishedApp.StartAsync(AppContext.BaseDirectory, environment);
        using var firstApi = Api(first.Address);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
            (await firstApi.GetFromJsonAsync<JsonElement>("/api/v1/campaigns")).GetProperty("total").GetInt32() >= 1, TimeSpan.FromSeconds(60)), "not synced");
        using var start = await firstApi.PostAsJsonAsync($"/api/v1/campaigns/{scenario.Campaign.Id}/personalization",
            new { messageIds = new[] { scenario.Campaign.Messages[0].Id } });
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var runId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => await WrittenAsync(firstApi, runId) > 0, TimeSpan.FromSeconds(60)), first.Output);

        // The second instance starts beside the first and waits: for three lease durations the run stays with the first.
        await using var second = await PublishedApp.StartAsync(AppContext.BaseDirectory, environment);
        using var secondApi = Api(second.Address);
        var watch = Stopwatch.StartNew();
        var progressWhileBoth = new List<long>();
        while (watch.Elapsed < 3 * _leaseDuration)
        {
            Assert.Equal(first.ProcessId, await LeaseHolderPidAsync(runId));
            progressWhileBoth.Add(await WrittenAsync(secondApi, runId));
            await Task.Delay(500);
        }
        Assert.DoesNotContain("after restart", second.Output, StringComparison.Ordinal);
        Assert.True(progressWhileBoth[^1] > progressWhileBoth[0], "the first instance stopped writing while the second ran beside it");
        var writtenBeforeKill = await WrittenAsync(secondApi, runId);
        Assert.InRange(writtenBeforeKill, 1, scenario.AudienceIds.Count - 1);

        await first.KillAsync();
        var killedAt = DateTimeOffset.UtcNow;
        output.WriteLine($"killed the first instance with {writtenBeforeKill} written of {scenario.AudienceIds.Count}");

        JsonElement run = default;
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
        {
            run = await secondApi.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
            return run.GetProperty("state").GetString() is "Completed" or "Failed" or "Cancelled";
        }, TimeSpan.FromSeconds(120)), second.Output);
        Assert.Equal("Completed", run.GetProperty("state").GetString());
        Assert.True(await second.TerminateAsync(TimeSpan.FromSeconds(60)), second.Output);

        SqliteConnection.ClearAllPools();
        await using var db = Database();
        var finished = await db.Runs.AsNoTracking().SingleAsync();
        var events = await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Id).ToListAsync();
        var resumed = Assert.Single(events, e => e.Kind == "Resumed");
        output.WriteLine($"{resumed.Message}, {(resumed.At - killedAt).TotalSeconds:F1} s after the kill");

        Assert.Equal(runId, finished.Id);
        Assert.Equal(scenario.AudienceIds.Count, finished.Written);
        Assert.Equal(scenario.AudienceIds.Count, finished.Processed);
        Assert.Equal(0, finished.Failed);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(sandbox.Store, id, scenario.Campaign.Messages[0].Id), $"{id} not written"));
        Assert.All(scenario.NonAudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(sandbox.Store, id)));
        // Taken over after the kill, within one lease duration and one look for unowned runs (plus start-up slack).
        Assert.InRange(resumed.At, killedAt, killedAt + _leaseDuration + _renewInterval + TimeSpan.FromSeconds(5));
        var again = int.Parse(System.Text.RegularExpressions.Regex.Match(resumed.Message, @"^Resumed after restart \((\d+) contacts? written again\)$").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        // One writer at a time: Klaviyo received each contact once, plus at most the contacts the restart repeats.
        var profileWrites = sandbox.Store.GetImportJobs().Sum(j => j.Entries.Count);
        output.WriteLine($"{profileWrites} profile writes for an audience of {scenario.AudienceIds.Count}, {again} written again");
        Assert.InRange(profileWrites, scenario.AudienceIds.Count, scenario.AudienceIds.Count + again);
    }

    private static async Task<long> WrittenAsync(HttpClient api, Guid runId) =>
        (await api.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}")).GetProperty("written").GetInt64();

    /// <summary>The process id in the owner id of the run's lease (owner ids are host:pid:random).</summary>
    private async Task<int?> LeaseHolderPidAsync(Guid runId)
    {
        await using var db = Database();
        var name = RunLease.NameFor(runId);
        var owner = await db.Leases.AsNoTracking().Where(l => l.Name == name).Select(l => l.Owner).SingleOrDefaultAsync();
        return owner is null ? null : int.Parse(owner.Split(':')[^2], System.Globalization.CultureInfo.InvariantCulture);
    }

    private ReflyDbContext Database() =>
        new(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite($"Data Source={Path.Combine(_work, "data", "refly.db")};Pooling=False").Options);

    private static HttpClient Api(Uri address)
    {
        var api = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return api;
    }

    private Dictionary<string, string> Environment(KlaviyoSandboxServer sandbox) => new()
    {
        ["ConnectionStrings__Refly"] = $"Data Source={Path.Combine(_work, "data", "refly.db")}",
        ["Klaviyo__BaseUrl"] = sandbox.BaseUrl.ToString(),
        ["Klaviyo__ApiKey"] = sandbox.ApiKey,
        ["Klaviyo__RateLimitScale"] = "20",
        ["Klaviyo__SyncInterval"] = "00:00:05",
        ["Triggers__PollInterval"] = "01:00:00",
        ["Automation__Tokens__0"] = Token,
        ["Leases__Duration"] = "00:00:04",
        ["Leases__RenewInterval"] = "00:00:01",
        // Many small batches, so the run lasts well beyond the observation window.
        ["Personalization__MaxProfilesPerImportJob"] = "100",
        ["Personalization__MaxImportJobsInFlight"] = "1",
        ["Personalization__BatchFlushInterval"] = "00:00:00.300",
        ["Personalization__ImportPollInterval"] = "00:00:00.200",
        ["Personalization__ProfilesPerWindow"] = "500",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Refly"] = "Information",
    };

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp clean-up.
        }
    }
}
