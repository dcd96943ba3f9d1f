using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

public sealed class ResumeCancelTests
{
    [Fact]
    public async Task Cancel_AfterRestartBeforeUnconfirmedContactsAreReadAgain_RemovesWhatTheirImportJobsWrote()
    {
        // Import jobs finish in Klaviyo 2 s after they are sent: a restart right after sending leaves contacts whose
        // properties Klaviyo writes although the run never confirmed them.
        await using var host = await CoreTestHost.StartAsync(o =>
        {
            o.Latency = TimeSpan.FromMilliseconds(20);
            o.ImportJobDelay = TimeSpan.FromSeconds(2);
        });
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Store.GetImportJobs().Count > 0), TimeSpan.FromSeconds(60)));

        // After the restart Klaviyo answers slowly, so the run is still re-reading when it is cancelled.
        host.Store.Latency = TimeSpan.FromSeconds(3);
        await host.RestartAsync();
        var unconfirmedWritten = await WaitForAsync(() => Task.FromResult(scenario.AudienceIds.Count(id => RunScenario.HasAnyReflyProperty(host.Store, id))), n => n > 0);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => await CountAsync(host, run.Id, RunContactState.Pending) == 0, TimeSpan.FromSeconds(60)));
        var confirmedBeforeCancel = (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written;
        Assert.True(unconfirmedWritten > confirmedBeforeCancel, "every written contact was confirmed before the restart: the test proves nothing");

        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);
        host.Store.Latency = TimeSpan.Zero;
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled, TimeSpan.FromSeconds(120));

        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} kept its properties"));
    }

    [Fact]
    public async Task ImportJobStuckInKlaviyo_JobsThatFinishedBeforeIt_AreConfirmedAndCounted()
    {
        // One import at a time, 100 contacts each: the first job goes through, every later one is held by Klaviyo.
        await using var host = await CoreTestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Personalization:MaxProfilesPerImportJob"] = "100",
            ["Personalization:MaxImportJobsInFlight"] = "1",
        });
        using var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var scenario = RunScenario.Create(host.Store, sizeA: 1_000);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);

        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(imports.Waiting == 1), TimeSpan.FromSeconds(60)), "no import job was held");
        // The first job's contacts are confirmed (progress, checkpoint) while the second job is still waiting in Klaviyo.
        var firstJob = Assert.Single(host.Store.GetImportJobs()).Entries.Count;
        Assert.True(firstJob > 0);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => await CountAsync(host, run.Id, RunContactState.Written) == firstJob, TimeSpan.FromSeconds(30)),
            $"{await CountAsync(host, run.Id, RunContactState.Written)} of the first job's {firstJob} contacts confirmed while the second import job was held");
        var meanwhile = (await host.Get<RunStore>().GetAsync(run.Id, default))!;
        Assert.Equal(RunState.InProgress, meanwhile.State);
        Assert.Equal(firstJob, meanwhile.Written);
        Assert.Equal(1, meanwhile.Checkpoint.BatchNumber);

        imports.Release();
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
    }

    private static async Task<int> CountAsync(CoreTestHost host, Guid runId, RunContactState state)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.RunContacts.CountAsync(c => c.RunId == runId && c.State == state);
    }

    private static async Task<int> WaitForAsync(Func<Task<int>> read, Func<int, bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var value = await read();
            if (condition(value))
            {
                return value;
            }
            await Task.Delay(20, timeout.Token);
        }
    }
}
