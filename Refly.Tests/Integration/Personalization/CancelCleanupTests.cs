using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>
/// Clean-up against Klaviyo's asynchronous import jobs (issue 12 item 2): a set-job Klaviyo accepted completes whether or
/// not anyone polls it, possibly after the clean-up's unset job, so clean-up must wait for every such job first. And the
/// clean-up of a re-run (issue 13 item 5): once the originals are back, no earlier run's property may be left behind.
/// </summary>
public sealed class CancelCleanupTests
{
    private static readonly Dictionary<string, string?> _smallJobs = new()
    {
        ["Personalization:MaxProfilesPerImportJob"] = "100",
    };

    [Fact]
    public async Task Cancel_WhileSetJobsStillProcessing_LeavesNoPropertyOnAnyProfile()
    {
        await using var host = await CoreTestHost.StartAsync(settings: _smallJobs);
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        // Klaviyo keeps every set-job processing: they complete only when the test says so.
        using var late = host.Store.HoldImportCompletion(SetsReflyProperties);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(late.Held >= 2), TimeSpan.FromSeconds(60)), "no set-job was held");

        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);
        await HoldUntilUnsetCompletedOrCleanUpWaitsAsync(host, run.Id);
        late.Release();
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled);

        await AssertNoReflyPropertyAsync(host, scenario);
        AssertEveryUnsetSentAfterEverySetEnded(host.Store);
        Assert.Contains(await EventsAsync(host, run.Id), e => e.Kind == "Waiting" && e.Message.StartsWith("Waiting for ", StringComparison.Ordinal) && e.Message.Contains("import job", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancel_AfterRestart_WaitsForTheSetJobsSentBeforeTheRestart()
    {
        await using var host = await CoreTestHost.StartAsync(settings: _smallJobs);
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        using var late = host.Store.HoldImportCompletion(SetsReflyProperties);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(late.Held >= 2), TimeSpan.FromSeconds(60)), "no set-job was held");
        var sentBeforeRestart = host.Store.GetImportJobs().Where(SetsReflyProperties).Select(j => j.Id).ToHashSet();

        // The process stops while Klaviyo still runs those jobs; the run resumes after the restart and is cancelled.
        await host.RestartAsync();
        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);
        await HoldUntilUnsetCompletedOrCleanUpWaitsAsync(host, run.Id);
        late.Release();
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled);

        Assert.All(sentBeforeRestart, id => Assert.True(host.Store.GetImportJob(id)!.IsComplete));
        await AssertNoReflyPropertyAsync(host, scenario);
        AssertEveryUnsetSentAfterEverySetEnded(host.Store);
    }

    [Fact]
    public async Task Cancel_AfterAnImportAnswerWasLost_WaitsForThatJobToo()
    {
        var faults = new KlaviyoFaultInjector();
        // Jobs take about a second, so the test knows the lost job's id before it could complete.
        await using var host = await CoreTestHost.StartAsync(o => o.ImportJobDelay = TimeSpan.FromSeconds(1), settings: _smallJobs, configureServices: faults.AddTo);
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        // Klaviyo accepts the first import job but its answer never reaches Refly; that job runs late.
        var lose = 1;
        faults.LoseAnswers(r => r.Method == HttpMethod.Post && r.RequestUri!.AbsolutePath.EndsWith("/profile-bulk-import-jobs", StringComparison.Ordinal)
            && Interlocked.Exchange(ref lose, 0) == 1);
        using var late = host.Store.HoldImportCompletion(job => faults.LostAnswers.Any(body => body.Contains(job.Id, StringComparison.Ordinal)));
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(late.Held == 1), TimeSpan.FromSeconds(60)), "the lost job was not held");
        var lostJob = JsonDocument.Parse(faults.LostAnswers[0]).RootElement.GetProperty("data").GetProperty("id").GetString()!;

        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);
        await HoldUntilUnsetCompletedOrCleanUpWaitsAsync(host, run.Id);
        late.Release();
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled);

        Assert.True(host.Store.GetImportJob(lostJob)!.IsComplete);
        await using (var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync())
        {
            Assert.False(await db.RunImportJobs.AnyAsync(j => j.JobId == lostJob), "the lost job was known to the run: the test proves nothing");
        }
        await AssertNoReflyPropertyAsync(host, scenario);
        AssertEveryUnsetSentAfterEverySetEnded(host.Store);
    }

    [Fact]
    public async Task CancelReRun_AfterEarlierRunCompleted_LeavesNoPropertyThatNoMessageReferences()
    {
        await using var host = await CoreTestHost.StartAsync(settings: new Dictionary<string, string?>(_smallJobs) { ["Personalization:MaxImportJobsInFlight"] = "1" });
        var scenario = RunScenario.Create(host.Store, sizeA: 1_000);
        var message = scenario.Campaign.Messages[0];
        var original = host.Store.GetMessage(message.Id)!;
        var originalHtml = host.Store.GetTemplate(original.TemplateId!)!.Html;
        var first = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        await RunScenario.WaitForStateAsync(host, first.Id, RunState.Completed);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id)));

        var again = await StartReRunAndCancelMidWayAsync(host, scenario, [message.Id]);

        Assert.True(again.Written < scenario.AudienceIds.Count, "the re-run covered everyone: the test proves nothing");
        var restored = host.Store.GetMessage(message.Id)!;
        Assert.Equal(original.Subject, restored.Subject);
        Assert.Equal(original.PreviewText, restored.PreviewText);
        Assert.Equal(originalHtml, host.Store.GetTemplate(restored.TemplateId!)!.Html);
        await AssertNoReflyPropertyAsync(host, scenario);
    }

    [Fact]
    public async Task CancelReRun_OfOneMessage_RemovesThatMessagesPropertiesAndKeepsTheOthers()
    {
        await using var host = await CoreTestHost.StartAsync(settings: new Dictionary<string, string?>(_smallJobs) { ["Personalization:MaxImportJobsInFlight"] = "1" });
        var scenario = RunScenario.Create(host.Store, messages: 2, sizeA: 1_000);
        var (a, b) = (scenario.Campaign.Messages[0], scenario.Campaign.Messages[1]);
        var originalA = host.Store.GetMessage(a.Id)!;
        var first = await RunScenario.StartAsync(host, scenario.Campaign.Id, [a.Id, b.Id]);
        await RunScenario.WaitForStateAsync(host, first.Id, RunState.Completed);

        await StartReRunAndCancelMidWayAsync(host, scenario, [a.Id]);

        // Variation A is back to its original and nobody keeps its properties; B still uses the first run's, untouched.
        Assert.Equal(originalA.Subject, host.Store.GetMessage(a.Id)!.Subject);
        Assert.True(PersonalizedMarkup.IsSwitched(host.Store.GetMessage(b.Id)!.Subject));
        Assert.All(scenario.AudienceIds.Concat(scenario.NonAudienceIds), id => Assert.False(RunScenario.HasProperties(host.Store, id, a.Id), $"{id} kept variation A's properties"));
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, b.Id), $"{id} lost variation B's properties"));
    }

    private static bool SetsReflyProperties(SandboxImportJob job) => job.SetsPropertyStartingWith(PersonalizedMarkup.PropertyPrefix);

    /// <summary>A clean-up's job (set-jobs unset too: a field kept original is unset so an earlier value cannot linger).</summary>
    private static bool IsUnsetOnly(SandboxImportJob job) => job.Unsets && !SetsReflyProperties(job);

    /// <summary>Starts a run of <paramref name="messageIds"/> that Klaviyo lets write one import job, cancels it, and waits until it is Cancelled.</summary>
    private static async Task<PersonalizationRun> StartReRunAndCancelMidWayAsync(CoreTestHost host, RunScenario scenario, IReadOnlyList<string> messageIds)
    {
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, messageIds);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(imports.Waiting == 1), TimeSpan.FromSeconds(60)), "the re-run's second import was not held");
        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);
        imports.Release();
        return await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled);
    }

    /// <summary>
    /// Keeps the held set-jobs processing until the clean-up has finished its unset jobs and the run is Cancelled (what a
    /// clean-up that does not wait does) or the clean-up says it waits for them (what it must do).
    /// </summary>
    private static async Task HoldUntilUnsetCompletedOrCleanUpWaitsAsync(CoreTestHost host, Guid runId) =>
        Assert.True(await CoreTestHost.WaitUntilAsync(async () =>
            (await host.Get<RunStore>().GetAsync(runId, default))!.State == RunState.Cancelled || (await EventsAsync(host, runId)).Any(e => e.Kind == "Waiting"),
            TimeSpan.FromSeconds(60)), "the clean-up neither finished nor waited");

    private static async Task AssertNoReflyPropertyAsync(CoreTestHost host, RunScenario scenario)
    {
        // Whatever Klaviyo still runs completes first, so a late write would show.
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Store.GetImportJobs().All(j => j.IsComplete)), TimeSpan.FromSeconds(30)));
        var left = scenario.AudienceIds.Concat(scenario.NonAudienceIds).Where(id => RunScenario.HasAnyReflyProperty(host.Store, id)).ToList();
        Assert.True(left.Count == 0, $"{left.Count} profiles kept refly_ properties, e.g. {string.Join(", ", left.Take(3))}");
    }

    /// <summary>Klaviyo received each contact's unset only after every set-job that included the contact had ended.</summary>
    private static void AssertEveryUnsetSentAfterEverySetEnded(SandboxStore store)
    {
        var jobs = store.GetImportJobs();
        var setEnded = jobs.Where(SetsReflyProperties)
            .SelectMany(j => j.Entries.Select(e => (e.Index, Ended: j.CompletedAt!.Value)))
            .GroupBy(e => e.Index)
            .ToDictionary(g => g.Key!.Value, g => g.Max(e => e.Ended));
        var early = jobs.Where(IsUnsetOnly)
            .SelectMany(j => j.Entries.Where(e => setEnded.TryGetValue(e.Index!.Value, out var ended) && j.CreatedAt < ended))
            .Count();
        Assert.True(early == 0, $"{early} contacts were unset before a set-job that included them had ended");
    }

    private static async Task<List<RunEvent>> EventsAsync(CoreTestHost host, Guid runId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId).ToListAsync();
    }
}
