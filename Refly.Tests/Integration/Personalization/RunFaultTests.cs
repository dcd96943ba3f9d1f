using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>
/// Issue #6 item 3: Klaviyo and the database misbehaving during a run. Faults come from
/// <see cref="KlaviyoFaultInjector"/> (innermost on the product's own Klaviyo client) and from SQLite itself (a second
/// connection holding the write lock, a page cap standing in for a full disk). Bounds are shrunk through options so each
/// test takes seconds; waits are generous and assertions are on outcomes, never on timings.
/// </summary>
public sealed class RunFaultTests
{
    private static readonly TimeSpan _generous = TimeSpan.FromSeconds(90);

    /// <summary>
    /// Small retry budgets, so "longer than the budget" and "bounded" both take seconds. The timeouts stay roomy: the
    /// total one also covers client-side pacing, and list reads with profile_count are paced at 1/s.
    /// </summary>
    private static readonly Dictionary<string, string?> _tightKlaviyoBudget = new()
    {
        ["Klaviyo:MaxRetryAttempts"] = "1",
        ["Klaviyo:RetryBaseDelay"] = "00:00:00.050",
        ["Klaviyo:AttemptTimeout"] = "00:00:03",
        ["Klaviyo:TotalTimeout"] = "00:00:30",
        ["Klaviyo:RateLimitMaxDelay"] = "00:00:01",
        ["Personalization:CleanupRetryDelay"] = "00:00:01",
        ["Personalization:DatabaseRetryDelay"] = "00:00:01",
    };

    [Fact]
    public async Task RateLimitedLongerThanTheRetryBudget_RunWaitsItOut_AndWritesEveryContactExactlyOnce()
    {
        var faults = new KlaviyoFaultInjector();
        await using var host = await StartAsync(faults, settings: new() { ["Klaviyo:TotalTimeout"] = "00:00:05" });
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];

        // Every audience read is refused with 429 for longer than the whole failure budget (2 attempts, 5 s).
        faults.Inject(KlaviyoFaultInjector.IsProfileRead, () => KlaviyoFaultInjector.TooManyRequests(TimeSpan.FromSeconds(1)));
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(faults.Injected >= 12), _generous), "the run never met the rate limit");
        await Task.Delay(TimeSpan.FromSeconds(8));
        var meanwhile = await host.Get<RunStore>().GetAsync(run.Id, default);
        Assert.Equal(RunState.InProgress, meanwhile!.State);
        faults.Clear();

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, _generous);

        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.Equal(scenario.AudienceIds.Count, done.Processed);
        Assert.Null(done.Error);
        var writes = host.Store.GetImportJobs().SelectMany(j => j.Entries).GroupBy(e => ProfileGenerator.IdFor(e.Index!.Value)).ToList();
        Assert.Equal(scenario.AudienceIds.Order(), writes.Select(w => w.Key).Order());
        Assert.All(writes, w => Assert.True(w.Count() == 1, $"{w.Key} was written {w.Count()} times"));
        var waits = Logs(host).Where(r => r.Category == KlaviyoServiceCollectionExtensions.RateLimitLoggerName).ToList();
        Assert.NotEmpty(waits);
        Assert.Contains(waits, r => r.Message.Contains("Waiting on Klaviyo's rate limit", StringComparison.Ordinal) && HasRunScope(r, run.Id, scenario.Campaign.Id));
        Assert.True(host.Get<KlaviyoClientStats>().For(KlaviyoEndpoints.GetProfilesForList.Key).RateLimitWait > TimeSpan.Zero);
    }

    [Fact]
    public async Task CancelWhileWaitingOnARateLimit_StopsAtOnce_AndRestoresTheOriginals()
    {
        var faults = new KlaviyoFaultInjector();
        await using var host = await StartAsync(faults);
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var originalSubject = host.Store.GetMessage(message.Id)!.Subject;

        // Klaviyo asks for ten minutes: only the cancel can end this wait within the test's bounds.
        faults.Inject(KlaviyoFaultInjector.IsProfileRead, () => KlaviyoFaultInjector.TooManyRequests(TimeSpan.FromMinutes(10)));
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(faults.Injected > 0), _generous));
        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);

        var cancelled = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled, TimeSpan.FromSeconds(60));

        Assert.True(cancelled.CleanedUp);
        Assert.Equal(originalSubject, host.Store.GetMessage(message.Id)!.Subject);
    }

    [Fact]
    public async Task KlaviyoDownPersistently_FailsWithTheReasonAfterBoundedRetries_AndCleansUpOnceItIsBack()
    {
        var faults = new KlaviyoFaultInjector();
        await using var host = await StartAsync(faults, o => o.Latency = TimeSpan.FromMilliseconds(40));
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var originalSubject = host.Store.GetMessage(message.Id)!.Subject;

        // Klaviyo takes the first import job and holds the others, so the run is surely mid-way at the fault.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, _generous));
        faults.Inject(KlaviyoFaultInjector.Any, KlaviyoFaultInjector.ServiceUnavailable);
        imports.Release();

        var failed = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Failed, _generous);

        Assert.StartsWith("Klaviyo kept failing", failed.Error, StringComparison.Ordinal);
        Assert.Contains("(503 Service Unavailable)", failed.Error, StringComparison.Ordinal);
        Assert.Contains(Logs(host), r => r.Level == LogLevel.Warning && r.Message.Contains("failed: Klaviyo kept failing", StringComparison.Ordinal)
            && HasRunScope(r, run.Id, scenario.Campaign.Id));
        // Clean-up needs Klaviyo too: it fails, says so, and is queued rather than left for a restart.
        Assert.True(await CoreTestHost.WaitUntilAsync(
            async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Error!.Contains("Clean-up could not finish", StringComparison.Ordinal), _generous));

        faults.Clear();

        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.CleanedUp, _generous),
            "the queued clean-up did not run once Klaviyo was back");
        Assert.Equal(originalSubject, host.Store.GetMessage(message.Id)!.Subject);
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} kept the run's properties"));
        Assert.Equal(RunState.Failed, (await host.Get<RunStore>().GetAsync(run.Id, default))!.State);
    }

    public static TheoryData<string, string> BoundedFailures => new()
    {
        { "503", "Klaviyo kept failing get_profiles_for_list (503 Service Unavailable)" },
        { "hang", "Klaviyo did not answer get_profiles_for_list in time" },
        { "truncated", "the answer was cut off" },
    };

    [Theory]
    [MemberData(nameof(BoundedFailures))]
    public async Task AudienceReadsFailingPersistently_FailTheRunWithTheReason_ThenCleanUp(string fault, string reason)
    {
        var faults = new KlaviyoFaultInjector();
        await using var host = await StartAsync(faults);
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var originalSubject = host.Store.GetMessage(message.Id)!.Subject;
        faults.Inject(KlaviyoFaultInjector.IsProfileRead, fault switch
        {
            "503" => _ => Task.FromResult(KlaviyoFaultInjector.ServiceUnavailable()),
            "hang" => KlaviyoFaultInjector.HangAsync,
            _ => _ => Task.FromResult(KlaviyoFaultInjector.Truncated("""{"data":[{"type":"profile","id":"01X","attributes":{}}],"links":{}}""")),
        });

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var failed = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Failed, _generous);

        Assert.Contains(reason, failed.Error, StringComparison.Ordinal);
        Assert.Contains("Refly retried", failed.Error, StringComparison.Ordinal);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.CleanedUp, _generous));
        Assert.Equal(originalSubject, host.Store.GetMessage(message.Id)!.Subject);
    }

    [Fact]
    public async Task AnswerCutOffOnce_IsRetried_AndTheRunCompletes()
    {
        var faults = new KlaviyoFaultInjector();
        // Up to three reads fail in a row; the budget allows four attempts per read.
        await using var host = await StartAsync(faults, settings: new() { ["Klaviyo:MaxRetryAttempts"] = "3" });
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var cut = 0;
        faults.Inject(r => KlaviyoFaultInjector.IsProfileRead(r) && Interlocked.Increment(ref cut) <= 3,
            () => KlaviyoFaultInjector.Truncated("""{"data":[],"links":{}}"""));

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, _generous);

        Assert.Equal(3, faults.Injected);
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was skipped"));
    }

    public static TheoryData<string, string, string, string> MalformedAnswers => new()
    {
        { "HTML instead of JSON", "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html", "is not valid JSON" },
        { "truncated JSON", """{"data":[{"type":"profile","id":"01""", "application/vnd.api+json", "is not valid JSON" },
        { "missing data array", """{"links":{"self":"x"}}""", "application/vnd.api+json", "document has no 'data'" },
        { "data of the wrong type", """{"data":{"type":"profile","id":"01X"}}""", "application/vnd.api+json", "expected an array" },
        { "attributes of the wrong type", """{"data":[{"type":"profile","id":"01X","attributes":"oops"}]}""", "application/vnd.api+json", "expected an object" },
    };

    [Theory]
    [MemberData(nameof(MalformedAnswers))]
    public async Task MalformedAnswerDuringARun_FailsTheRunWithAClearReason_AndTheHostCarriesOn(string answer, string body, string mediaType, string problem)
    {
        var faults = new KlaviyoFaultInjector();
        await using var host = await StartAsync(faults);
        var scenario = RunScenario.Create(host.Store);
        var other = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var originalSubject = host.Store.GetMessage(message.Id)!.Subject;
        faults.Inject(KlaviyoFaultInjector.IsProfileRead, () => KlaviyoFaultInjector.Ok(body, mediaType));

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        var failed = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Failed, _generous);

        Assert.True(failed.Error!.StartsWith(KlaviyoResponseException.MessagePrefix, StringComparison.Ordinal), $"{answer}: {failed.Error}");
        Assert.Contains(problem, failed.Error, StringComparison.Ordinal);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.CleanedUp, _generous));
        Assert.Equal(originalSubject, host.Store.GetMessage(message.Id)!.Subject);

        // Nothing else is lost: the host still syncs, and another campaign personalizes fully once Klaviyo answers properly.
        faults.Clear();
        var next = await RunScenario.StartAsync(host, other.Campaign.Id, [other.Campaign.Messages[0].Id]);
        var done = await RunScenario.WaitForStateAsync(host, next.Id, RunState.Completed, _generous);
        Assert.Equal(other.AudienceIds.Count, done.Written);
    }

    [Fact]
    public async Task DatabaseLockedByAnotherProcessPastBusyTimeout_RunPausesWithTheCause_ThenResumesAndCompletesExactlyOnce()
    {
        var faults = new KlaviyoFaultInjector();
        await using var host = await StartAsync(faults, o => o.Latency = TimeSpan.FromMilliseconds(40), new()
        {
            // busy_timeout follows Default Timeout: wait 1 s for the lock, then report it.
            ["ConnectionStrings:Refly"] = "Data Source={DataFolder}/refly.db;Default Timeout=1",
        });
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        // Klaviyo takes the first import job and holds the others, so the run is surely mid-way at the fault.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, _generous));

        // Another process takes the write lock and sits on it well past busy_timeout.
        await using (var other = new SqliteConnection($"Data Source={Path.Combine(host.DataFolder, "refly.db")};Pooling=False"))
        {
            await other.OpenAsync();
            await using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE;";
                await begin.ExecuteNonQueryAsync();
            }
            imports.Release();
            Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(PausedLogs(host, run.Id, scenario.Campaign.Id, "locked").Count > 0), _generous),
                "the run did not report the locked database");
            await using var commit = other.CreateCommand();
            commit.CommandText = "COMMIT;";
            await commit.ExecuteNonQueryAsync();
        }

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, _generous);

        await AssertConsistentAsync(host, scenario, message.Id, done);
        Assert.Contains(await EventsAsync(host, run.Id), e => e.Kind == "Resumed" && e.Message.Contains("locked", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DiskFullMidRun_RunPausesWithTheCause_ThenResumesAndCompletesExactlyOnce()
    {
        var faults = new KlaviyoFaultInjector();
        var disk = new SqliteDiskFull();
        await using var host = await StartAsync(faults, o => o.Latency = TimeSpan.FromMilliseconds(40), configure: disk.AddTo);
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        // Klaviyo takes the first import job and holds the others, so the run is surely mid-way at the fault.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, _generous));

        disk.Full = true;
        imports.Release();
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(PausedLogs(host, run.Id, scenario.Campaign.Id, "disk").Count > 0), _generous),
            "the run did not report the full disk");
        var paused = await host.Get<RunStore>().GetAsync(run.Id, default);
        Assert.Equal(RunState.InProgress, paused!.State);
        disk.Full = false;

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, _generous);

        await AssertConsistentAsync(host, scenario, message.Id, done);
    }

    private static async Task<CoreTestHost> StartAsync(
        KlaviyoFaultInjector faults,
        Action<Refly.KlaviyoSandbox.KlaviyoSandboxOptions>? sandbox = null,
        Dictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var all = new Dictionary<string, string?>(_tightKlaviyoBudget);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }
        return await CoreTestHost.StartAsync(sandbox, all, configureServices: services =>
        {
            faults.AddTo(services);
            services.AddLogging(b => b.AddFakeLogging());
            configure?.Invoke(services);
        });
    }

    /// <summary>The database is intact, and the run's counts are what was written to Klaviyo: everyone, once each.</summary>
    private static async Task AssertConsistentAsync(CoreTestHost host, RunScenario scenario, string messageId, PersonalizationRun done)
    {
        await using (var check = new SqliteConnection($"Data Source={Path.Combine(host.DataFolder, "refly.db")};Pooling=False"))
        {
            await check.OpenAsync();
            await using var command = check.CreateCommand();
            command.CommandText = "PRAGMA integrity_check;";
            Assert.Equal("ok", await command.ExecuteScalarAsync());
        }
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.Equal(scenario.AudienceIds.Count, done.Processed);
        Assert.Equal(0, done.Failed);
        var written = host.Store.GetImportJobs().SelectMany(j => j.Entries).Select(e => ProfileGenerator.IdFor(e.Index!.Value)).ToHashSet();
        Assert.True(written.SetEquals(scenario.AudienceIds), "Klaviyo received writes for other contacts than the audience");
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, messageId), $"{id} was skipped"));
    }

    private static async Task<List<Refly.Core.Personalization.RunEvent>> EventsAsync(CoreTestHost host, Guid runId)
    {
        var factory = host.Get<Microsoft.EntityFrameworkCore.IDbContextFactory<Refly.Core.Persistence.ReflyDbContext>>();
        await using var db = await factory.CreateDbContextAsync();
        return await Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.ToListAsync(db.RunEvents.Where(e => e.RunId == runId));
    }

    private static IReadOnlyList<FakeLogRecord> Logs(CoreTestHost host) => host.Services.GetFakeLogCollector().GetSnapshot();

    private static List<FakeLogRecord> PausedLogs(CoreTestHost host, Guid runId, string campaignId, string cause) =>
        Logs(host).Where(r => r.Level == LogLevel.Error && r.Message.Contains("paused", StringComparison.Ordinal)
            && r.Message.Contains(cause, StringComparison.Ordinal) && HasRunScope(r, runId, campaignId)).ToList();

    private static bool HasRunScope(FakeLogRecord record, Guid runId, string campaignId)
    {
        var values = record.Scopes.OfType<IEnumerable<KeyValuePair<string, object>>>().SelectMany(s => s).ToList();
        return values.Any(kv => kv.Key == "RunId" && Equals(kv.Value, runId))
            && values.Any(kv => kv.Key == "CampaignId" && Equals(kv.Value, campaignId));
    }
}
