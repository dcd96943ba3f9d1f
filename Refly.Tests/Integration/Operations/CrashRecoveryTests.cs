using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;
using Xunit.Abstractions;

namespace Refly.Tests.Integration.Operations;

/// <summary>
/// Issue 6: the dashboard, started as a service starts it (<c>dotnet Refly.Dashboard.dll</c>), is killed with SIGKILL
/// at random points of its runs, 20 times in a row, and started again each time. Klaviyo is a sandbox in this test
/// process, so what the app wrote survives the kills. Every run must end Completed with every contact of its audience
/// written exactly once with its final content, or Cancelled with the campaign's original content back byte for byte
/// and its properties removed; the database must stay intact.
/// </summary>
/// <remarks>
/// The seed is printed; set <c>REFLY_CRASH_SEED</c> to replay a failing sequence of kills.
/// </remarks>
public sealed class CrashRecoveryTests(ITestOutputHelper output) : IDisposable
{
    private const string Token = "crash-recovery-test-token-0123456789";
    private const int Kills = 20;
    private const int Campaigns = 8;
    // Audience of RunScenario with list A of this size: (SizeA - 50) + 100 contacts.
    private const int SizeA = 1_600;

    private readonly string _work = Directory.CreateTempSubdirectory("refly-crash-").FullName;

    [Fact]
    public async Task KilledAtRandomPoints_TwentyTimes_EveryRunEndsCompletedOrCancelledCleanly()
    {
        var seed = int.TryParse(System.Environment.GetEnvironmentVariable("REFLY_CRASH_SEED"), CultureInfo.InvariantCulture, out var fixedSeed)
            ? fixedSeed
            : Random.Shared.Next();
        output.WriteLine($"REFLY_CRASH_SEED={seed}");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();

        // Slow enough that a run spans several kills: every request waits, every import job takes a while.
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions
        {
            Seed = SandboxSeeds.Empty,
            Latency = TimeSpan.FromMilliseconds(20),
            ImportJobDelay = TimeSpan.FromMilliseconds(1_500),
            RateLimitMultiplier = 20,
        });
        var sendTime = DateTimeOffset.UtcNow.AddDays(2);
        var scenarios = Enumerable.Range(0, Campaigns)
            .Select(i => RunScenario.Create(sandbox.Store, i % 2 == 0 ? CampaignStatuses.Scheduled : CampaignStatuses.Draft, sendTime, sizeA: SizeA))
            .ToList();
        var originals = scenarios.ToDictionary(s => s.Campaign.Id, s => Original.Of(sandbox.Store, s.Campaign));

        var environment = Environment(sandbox);
        var plan = KillPlan.Create(random);
        output.WriteLine(string.Join("\n", plan.Select((step, i) => $"  kill {i + 1}: {step}")));

        var runs = new Dictionary<string, Guid>(StringComparer.Ordinal); // campaign id -> run id
        var cancelled = new List<string>();
        string? lastOutput = null;
        for (var i = 0; i < plan.Count; i++)
        {
            var step = plan[i];
            var started = Stopwatch.StartNew();
            var app = await PublishedApp.StartAsync(AppContext.BaseDirectory, environment, waitUntilHealthy: step.Trigger != KillTrigger.DuringStartUp);
            try
            {
                string note;
                if (step.Trigger == KillTrigger.DuringStartUp)
                {
                    await Task.Delay(step.Delay);
                    note = "during start-up";
                }
                else
                {
                    using var api = Api(app.Address);
                    if (i == 0)
                    {
                        await WaitForCampaignsAsync(api, scenarios.Count);
                    }
                    note = await ActAndWaitForKillPointAsync(api, sandbox.Store, step, scenarios, runs, cancelled);
                }
                await app.KillAsync();
                lastOutput = app.Output;
                output.WriteLine($"kill {i + 1,2} at {clock.Elapsed.TotalSeconds,6:F1} s ({started.Elapsed.TotalSeconds:F1} s after start): {step.Trigger} {note}");
            }
            finally
            {
                await app.DisposeAsync();
            }
        }

        // The last start: RunRecovery carries every run to its end.
        Dictionary<Guid, JsonElement> final;
        await using (var app = await PublishedApp.StartAsync(AppContext.BaseDirectory, environment))
        {
            using var api = Api(app.Address);
            final = await WaitForTerminalAsync(api, runs.Values, TimeSpan.FromSeconds(150), app);
            output.WriteLine($"every run ended at {clock.Elapsed.TotalSeconds:F1} s");
            Assert.True(await app.TerminateAsync(TimeSpan.FromSeconds(60)), app.Output);
        }

        SqliteConnection.ClearAllPools();
        var database = Path.Combine(_work, "data", "refly.db");
        await using var db = new ReflyDbContext(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite($"Data Source={database};Pooling=False").Options);
        Assert.Equal("ok", await IntegrityCheckAsync(db));

        var expected = await ExpectedContentAsync(sandbox, scenarios[0]);
        var failures = new List<string>();
        foreach (var scenario in scenarios.Where(s => runs.ContainsKey(s.Campaign.Id)))
        {
            var runId = runs[scenario.Campaign.Id];
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            var contacts = await db.RunContacts.AsNoTracking().Where(c => c.RunId == runId).ToListAsync();
            var problems = run.State switch
            {
                RunState.Completed => CheckCompleted(sandbox.Store, scenario, originals[scenario.Campaign.Id], run, contacts, expected),
                RunState.Cancelled => CheckCancelled(sandbox.Store, scenario, originals[scenario.Campaign.Id], run),
                _ => [$"ended {run.State}: {run.Error}"],
            };
            output.WriteLine($"run {runId} of {scenario.Campaign.Id}: {run.State}, written {run.Written}, {problems.Count} problem(s)");
            failures.AddRange(problems.Select(p => $"run {runId} ({run.State}) of campaign {scenario.Campaign.Id}: {p}"));
        }
        Assert.Equal(Campaigns, runs.Count);
        Assert.True(failures.Count == 0, $"REFLY_CRASH_SEED={seed}\n{string.Join('\n', failures.Take(40))}\n\nlast killed app:\n{Tail(lastOutput)}");
        Assert.NotEmpty(cancelled);
        Assert.Contains(final.Values, r => r.GetProperty("state").GetString() == "Cancelled");
        output.WriteLine($"total {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Starts or cancels what the step says, then waits for the point where the step kills the app.</summary>
    private static async Task<string> ActAndWaitForKillPointAsync(
        HttpClient api, SandboxStore store, KillStep step, List<RunScenario> scenarios, Dictionary<string, Guid> runs, List<string> cancelled)
    {
        switch (step.Trigger)
        {
            case KillTrigger.WhileSwitching:
            {
                var scenario = scenarios[step.Campaign!.Value];
                var message = scenario.Campaign.Messages[0];
                var wasScheduled = store.GetCampaign(scenario.Campaign.Id)!.Status == CampaignStatuses.Scheduled;
                runs[scenario.Campaign.Id] = await StartRunAsync(api, scenario);
                // The switch has begun when the campaign is reverted to Draft (Scheduled) or its subject changed (Draft).
                var seen = await WaitForAsync(() => wasScheduled
                    ? store.GetCampaign(scenario.Campaign.Id)!.Status == CampaignStatuses.Draft
                    : PersonalizedMarkup.IsSwitched(store.GetMessage(message.Id)!.Subject), TimeSpan.FromSeconds(20));
                var cancel = "";
                if (step.CancelMidSwitch)
                {
                    // Cancelled in the middle of the switch, then killed during (or before) the clean-up.
                    using var response = await api.DeleteAsync($"/api/v1/campaigns/{scenario.Campaign.Id}/personalization");
                    cancel = $", cancel answered {(int)response.StatusCode}";
                    if (response.StatusCode == HttpStatusCode.Accepted)
                    {
                        cancelled.Add(scenario.Campaign.Id);
                    }
                }
                await Task.Delay(step.Delay);
                return $"campaign {step.Campaign} ({(wasScheduled ? "scheduled" : "draft")}), switch {(seen ? "seen" : "not seen")}{cancel}, +{step.Delay.TotalMilliseconds:F0} ms";
            }
            case KillTrigger.WhileImporting:
            {
                var since = store.TimeProvider.GetUtcNow();
                var seen = await WaitForAsync(() => store.GetImportJobs().Any(j => j.CreatedAt >= since && j.StatusAt(store.TimeProvider.GetUtcNow()) != "complete"), TimeSpan.FromSeconds(20));
                await Task.Delay(step.Delay);
                return $"import job {(seen ? "in flight" : "not seen")}, +{step.Delay.TotalMilliseconds:F0} ms";
            }
            case KillTrigger.DuringCancelCleanUp:
            {
                var active = new List<string>();
                foreach (var (campaignId, runId) in runs)
                {
                    var run = await api.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
                    if (run.GetProperty("state").GetString() is "Queued" or "InProgress")
                    {
                        active.Add(campaignId);
                    }
                }
                if (active.Count == 0)
                {
                    await Task.Delay(step.Delay);
                    return $"nothing to cancel, +{step.Delay.TotalMilliseconds:F0} ms";
                }
                var target = active[step.Pick % active.Count];
                using var response = await api.DeleteAsync($"/api/v1/campaigns/{target}/personalization");
                Assert.True(response.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.Conflict, await response.Content.ReadAsStringAsync());
                if (response.StatusCode == HttpStatusCode.Accepted)
                {
                    cancelled.Add(target);
                }
                await Task.Delay(step.Delay);
                return $"cancel of campaign {scenarios.FindIndex(s => s.Campaign.Id == target)} answered {(int)response.StatusCode}, +{step.Delay.TotalMilliseconds:F0} ms";
            }
            default:
                await Task.Delay(step.Delay);
                return $"+{step.Delay.TotalMilliseconds:F0} ms";
        }
    }

    private static async Task<Guid> StartRunAsync(HttpClient api, RunScenario scenario)
    {
        using var start = await api.PostAsJsonAsync($"/api/v1/campaigns/{scenario.Campaign.Id}/personalization",
            new { messageIds = new[] { scenario.Campaign.Messages[0].Id } });
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        return (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static async Task WaitForCampaignsAsync(HttpClient api, int count)
    {
        var synced = await CoreTestHost.WaitUntilAsync(async () =>
            (await api.GetFromJsonAsync<JsonElement>("/api/v1/campaigns")).GetProperty("total").GetInt32() >= count, TimeSpan.FromSeconds(60));
        Assert.True(synced, "the app did not sync the sandbox's campaigns");
    }

    private static async Task<Dictionary<Guid, JsonElement>> WaitForTerminalAsync(HttpClient api, IEnumerable<Guid> runIds, TimeSpan timeout, PublishedApp app)
    {
        var runs = new Dictionary<Guid, JsonElement>();
        var done = await CoreTestHost.WaitUntilAsync(async () =>
        {
            foreach (var runId in runIds)
            {
                runs[runId] = await api.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
            }
            return runs.Values.All(r => r.GetProperty("state").GetString() is "Completed" or "Cancelled" or "Failed");
        }, timeout);
        Assert.True(done, "runs still not finished after the last start:\n" +
            string.Join('\n', runs.Values.Select(r => $"{r.GetProperty("id")}: {r.GetProperty("state")} written {r.GetProperty("written")}")) +
            "\n" + Tail(app.Output));
        return runs;
    }

    private static List<string> CheckCompleted(
        SandboxStore store, RunScenario scenario, Original original, PersonalizationRun run, List<RunContact> contacts, Dictionary<string, KlaviyoProfile> profiles)
    {
        var problems = new List<string>();
        var audience = scenario.AudienceIds.ToHashSet(StringComparer.Ordinal);
        var written = contacts.Where(c => c.State == RunContactState.Written).Select(c => c.ProfileId).ToHashSet(StringComparer.Ordinal);
        if (run.Written != audience.Count || run.Processed != audience.Count || run.Failed != 0)
        {
            problems.Add($"counts written {run.Written}, processed {run.Processed}, failed {run.Failed}; the audience has {audience.Count}");
        }
        if (!written.SetEquals(audience))
        {
            problems.Add($"{audience.Except(written).Count()} audience contact(s) not recorded written, {written.Except(audience).Count()} outsider(s) recorded written");
        }
        if (contacts.Any(c => c.State is RunContactState.Pending or RunContactState.Failed or RunContactState.Removed))
        {
            problems.Add("contacts left " + string.Join(", ", contacts.Where(c => c.State != RunContactState.Written && c.State != RunContactState.Excluded).GroupBy(c => c.State).Select(g => $"{g.Count()} {g.Key}")));
        }

        var message = original.Message;
        var key = PersonalizedMarkup.MessageKey(message.Id);
        var personalizer = new RuleBasedPersonalizer();
        var wrong = 0;
        foreach (var id in audience)
        {
            var content = personalizer.Personalize(new PersonalizationRequest(profiles[id], message.Id, scenario.Campaign.Name, new MessageContent(message.Subject!, message.PreviewText)));
            var set = new Dictionary<string, string>(StringComparer.Ordinal);
            var unset = new List<string>();
            PersonalizedMarkup.AddProperties(key, content, set, unset);
            var properties = store.GetProfileProperties(id);
            if (set.Any(p => !properties.TryGetValue(p.Key, out var value) || value as string != p.Value) || unset.Any(properties.ContainsKey))
            {
                wrong++;
            }
        }
        if (wrong > 0)
        {
            problems.Add($"{wrong} audience contact(s) without their final content");
        }
        var outsiders = scenario.NonAudienceIds.Count(id => HasPropertiesOf(store, id, key));
        if (outsiders > 0)
        {
            problems.Add($"{outsiders} contact(s) outside the audience written");
        }

        var now = store.GetMessage(message.Id)!;
        if (now.Subject != PersonalizedMarkup.SubjectExpression(key, message.Subject!) || now.PreviewText != PersonalizedMarkup.PreviewExpression(key, message.PreviewText))
        {
            problems.Add($"message not switched: subject '{now.Subject}', preview '{now.PreviewText}'");
        }
        if (store.GetTemplate(now.TemplateId!)?.Html != PersonalizedMarkup.TemplateWithPersonalizedBlock(original.Html, key))
        {
            problems.Add($"template {now.TemplateId} is not the original with the personalized block");
        }
        problems.AddRange(original.CheckSchedule(store));
        return problems;
    }

    private static List<string> CheckCancelled(SandboxStore store, RunScenario scenario, Original original, PersonalizationRun run)
    {
        var problems = new List<string>();
        if (!run.CleanedUp)
        {
            problems.Add("not marked cleaned up");
        }
        var now = store.GetMessage(original.Message.Id)!;
        // Klaviyo assigns a template as a fresh copy, so the original comes back as a new id with the same HTML.
        if (now.Subject != original.Message.Subject || now.PreviewText != original.Message.PreviewText || store.GetTemplate(now.TemplateId!)?.Html != original.Html)
        {
            problems.Add($"original content not restored: subject '{now.Subject}', preview '{now.PreviewText}', template {now.TemplateId}");
        }
        if (store.GetTemplate(original.Message.TemplateId!)?.Html != original.Html)
        {
            problems.Add("the original template's HTML changed");
        }
        var key = PersonalizedMarkup.MessageKey(original.Message.Id);
        var left = scenario.AudienceIds.Concat(scenario.NonAudienceIds).Count(id => HasPropertiesOf(store, id, key));
        if (left > 0)
        {
            problems.Add($"{left} contact(s) still carry the run's properties");
        }
        problems.AddRange(original.CheckSchedule(store));
        return problems;
    }

    private static bool HasPropertiesOf(SandboxStore store, string profileId, string messageKey) =>
        PersonalizedMarkup.Properties(messageKey).Any(store.GetProfileProperties(profileId).ContainsKey);

    /// <summary>The audience's profiles as the app reads them (through the product's Klaviyo client), for the personalizer.</summary>
    private static async Task<Dictionary<string, KlaviyoProfile>> ExpectedContentAsync(KlaviyoSandboxServer sandbox, RunScenario scenario)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Klaviyo:BaseUrl"] = sandbox.BaseUrl.ToString(),
            ["Klaviyo:ApiKey"] = sandbox.ApiKey,
            ["Klaviyo:RateLimitScale"] = "20",
        }).Build();
        await using var services = new ServiceCollection().AddLogging().AddKlaviyo(configuration).BuildServiceProvider();
        var klaviyo = services.GetRequiredService<IKlaviyoClient>();
        var profiles = new Dictionary<string, KlaviyoProfile>(StringComparer.Ordinal);
        foreach (var listId in scenario.Campaign.Included)
        {
            string? cursor = null;
            do
            {
                var page = await klaviyo.GetGroupProfilesPageAsync(new KlaviyoGroupRef(KlaviyoGroupKind.List, listId), cursor, null, CancellationToken.None);
                foreach (var profile in page.Items)
                {
                    profiles[profile.Id] = profile;
                }
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        return profiles;
    }

    private static async Task<string> IntegrityCheckAsync(ReflyDbContext db)
    {
        var connection = db.Database.GetDbConnection();
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var until = Stopwatch.StartNew();
        while (until.Elapsed < timeout)
        {
            if (condition())
            {
                return true;
            }
            await Task.Delay(5);
        }
        return false;
    }

    private static HttpClient Api(Uri address)
    {
        var api = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        api.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        return api;
    }

    private Dictionary<string, string> Environment(KlaviyoSandboxServer sandbox) => new()
    {
        ["ConnectionStrings__Refly"] = $"Data Source={Path.Combine(_work, "data", "refly.db")}",
        // An external Klaviyo (the sandbox of this test), so what the app wrote outlives the app.
        ["Klaviyo__BaseUrl"] = sandbox.BaseUrl.ToString(),
        ["Klaviyo__ApiKey"] = sandbox.ApiKey,
        ["Klaviyo__RateLimitScale"] = "20",
        ["Klaviyo__SyncInterval"] = "00:00:05",
        ["Triggers__PollInterval"] = "01:00:00",
        ["Automation__Tokens__0"] = Token,
        // A killed app's run leases expire within seconds, so each start resumes its runs soon (30 s by default).
        ["Leases__Duration"] = "00:00:03",
        ["Leases__RenewInterval"] = "00:00:01",
        // Many small batches, so kills fall between checkpoints, during import polling and mid-audience.
        ["Personalization__MaxProfilesPerImportJob"] = "100",
        ["Personalization__MaxImportJobsInFlight"] = "2",
        ["Personalization__BatchFlushInterval"] = "00:00:00.300",
        ["Personalization__ImportPollInterval"] = "00:00:00.200",
        ["Personalization__CampaignCheckInterval"] = "00:00:01",
        ["Personalization__ProfilesPerWindow"] = "500",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Refly"] = "Information",
    };

    private static string Tail(string? text) => text is null ? "" : text.Length <= 6_000 ? text : text[^6_000..];

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

    /// <summary>A campaign's content and schedule before any run touched it.</summary>
    private sealed record Original(SandboxMessage Message, string Html, string Status, DateTimeOffset? SendTime)
    {
        public static Original Of(SandboxStore store, SandboxCampaign campaign)
        {
            var message = store.GetMessage(campaign.Messages[0].Id)!;
            return new Original(message, store.GetTemplate(message.TemplateId!)!.Html, campaign.Status, campaign.SendTime);
        }

        public IEnumerable<string> CheckSchedule(SandboxStore store)
        {
            var campaign = store.GetCampaign(Message.CampaignId)!;
            if (campaign.Status != Status || campaign.SendTime != SendTime)
            {
                yield return $"campaign is {campaign.Status} for {campaign.SendTime:u}; it was {Status} for {SendTime:u}";
            }
        }
    }

    private enum KillTrigger
    {
        /// <summary>Before the app answers: migrations, RunRecovery, the first batches of resumed runs.</summary>
        DuringStartUp,

        /// <summary>A run is started and the app killed once its content switch has begun (sometimes cancelled first).</summary>
        WhileSwitching,

        /// <summary>Killed while an import job is in flight (the pipeline polls it).</summary>
        WhileImporting,

        /// <summary>An active run is cancelled through the API and the app killed during its clean-up.</summary>
        DuringCancelCleanUp,

        /// <summary>After a random delay, wherever the runs are (mostly mid-audience).</summary>
        Anytime,
    }

    private sealed record KillStep(KillTrigger Trigger, TimeSpan Delay, int? Campaign = null, int Pick = 0, bool CancelMidSwitch = false)
    {
        public override string ToString() =>
            $"{Trigger}{(Campaign is { } c ? $" campaign {c}" : "")}{(CancelMidSwitch ? " cancelled mid-switch" : "")} +{Delay.TotalMilliseconds:F0} ms{(Trigger == KillTrigger.DuringCancelCleanUp ? $" pick {Pick}" : "")}";
    }

    /// <summary>Twenty kills: every campaign's run is started (and killed mid-switch) early, cancels are spread out.</summary>
    private static class KillPlan
    {
        public static List<KillStep> Create(Random random)
        {
            var starts = new Dictionary<int, int> { [0] = 0, [1] = 1, [2] = 2, [3] = 3, [5] = 4, [7] = 5, [9] = 6, [11] = 7 };
            int[] cancels = [4, 8, 12, 14];
            var steps = new List<KillStep>(Kills);
            for (var i = 0; i < Kills; i++)
            {
                if (starts.TryGetValue(i, out var campaign))
                {
                    // Within ~100 ms of the switch beginning: revert, edits, template clone and re-schedule are a few requests.
                    steps.Add(new KillStep(KillTrigger.WhileSwitching, Ms(random, 0, 120), campaign, CancelMidSwitch: random.Next(4) == 0));
                }
                else if (cancels.Contains(i))
                {
                    steps.Add(new KillStep(KillTrigger.DuringCancelCleanUp, Ms(random, 0, 1_500), Pick: random.Next(100)));
                }
                else
                {
                    steps.Add(random.Next(3) switch
                    {
                        0 => new KillStep(KillTrigger.DuringStartUp, Ms(random, 1_000, 6_000)),
                        1 => new KillStep(KillTrigger.WhileImporting, Ms(random, 0, 600)),
                        _ => new KillStep(KillTrigger.Anytime, Ms(random, 200, 4_000)),
                    });
                }
            }
            return steps;
        }

        private static TimeSpan Ms(Random random, int min, int max) => TimeSpan.FromMilliseconds(random.Next(min, max));
    }
}
