using Microsoft.EntityFrameworkCore;
using Refly.Core.Leases;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>
/// Issue 13 item 1, in-process: two app instances (two Core hosts, each with its own scheduler and lease owner) on one
/// SQLite file and one Klaviyo. A run has one owner; the other instance waits, and takes the run over only once the
/// owner let go of it or its lease was taken; an instance that lost the lease writes nothing more.
/// </summary>
public sealed class RunLeaseTests
{
    // Short leases so that a take-over happens within seconds.
    private static readonly Dictionary<string, string?> _shortLeases = new()
    {
        ["Leases:Duration"] = "00:00:03",
        ["Leases:RenewInterval"] = "00:00:00.500",
    };

    [Fact]
    public async Task TwoInstances_TheOtherWaitsWhileTheOwnerRuns_AndFinishesTheRunOnceTheOwnerStops()
    {
        await using var owner = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(20), _shortLeases);
        var scenario = RunScenario.Create(owner.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var imports = owner.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(owner, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await owner.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));

        await using var other = await owner.StartAnotherInstanceAsync();
        // Asked directly, the other instance neither schedules nor executes the run: its lease is held.
        Assert.Equal(0, await other.Get<RunRecovery>().RecoverAsync(default));
        await other.Get<RunExecutor>().ExecuteAsync(run.Id, default);
        Assert.Null(other.Get<LeaseManager>().Held(RunLease.NameFor(run.Id)));
        Assert.Equal(owner.Get<LeaseManager>().OwnerId, (await LeaseOfAsync(owner, run.Id))!.Owner);
        Assert.DoesNotContain(await EventsOfAsync(owner, run.Id), e => e.Kind == "Resumed");

        // The owner stops (its lease released); the other's next look for unowned runs takes the run over.
        var writtenByOwner = (await owner.Get<RunStore>().GetAsync(run.Id, default))!.Written;
        await owner.StopAsync();
        imports.Release();
        var done = await RunScenario.WaitForStateAsync(other, run.Id, RunState.Completed, TimeSpan.FromSeconds(90));

        Assert.InRange(writtenByOwner, 1, scenario.AudienceIds.Count - 1);
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.Equal(scenario.AudienceIds.Count, done.Processed);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(other.Store, id, message.Id), $"{id} was skipped"));
        var resumed = Assert.Single(await EventsOfAsync(other, run.Id), e => e.Kind == "Resumed");
        Assert.Matches(@"^Resumed after restart \(\d+ contacts? written again\)$", resumed.Message);
        // A finished run's lease is gone.
        Assert.Null(await LeaseOfAsync(other, run.Id));
    }

    [Fact]
    public async Task LeaseTakenByAnotherInstance_TheOldOwnerStopsWithoutWriting_AndTheRunEndsWrittenOnce()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(20), _shortLeases);
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));
        var lease = host.Get<LeaseManager>().Held(RunLease.NameFor(run.Id))!;

        // Another instance took the lease (as if this one had been frozen past its expiry).
        await SetLeaseAsync(host, run.Id, "another-instance", DateTimeOffset.UtcNow.AddMinutes(10));
        var atTakeOver = (await host.Get<RunStore>().GetAsync(run.Id, default))!;
        imports.Release();
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(lease.IsLost), TimeSpan.FromSeconds(30)), "the old owner did not notice");
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Get<LeaseManager>().Held(RunLease.NameFor(run.Id)) is null), TimeSpan.FromSeconds(30)),
            "the old owner's job did not stop");
        var afterStop = (await host.Get<RunStore>().GetAsync(run.Id, default))!;

        Assert.Equal(RunState.InProgress, afterStop.State);
        Assert.Equal(atTakeOver.Written, afterStop.Written);
        Assert.Equal(atTakeOver.Checkpoint.BatchNumber, afterStop.Checkpoint.BatchNumber);
        Assert.Equal("another-instance", (await LeaseOfAsync(host, run.Id))!.Owner);

        // That instance dies: its lease expires and this one takes the run back and finishes it.
        await SetLeaseAsync(host, run.Id, "another-instance", DateTimeOffset.UtcNow.AddSeconds(-1));
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(90));
        Assert.Equal(scenario.AudienceIds.Count, done.Written);
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was skipped"));
        Assert.Contains(await EventsOfAsync(host, run.Id), e => e.Kind == "Resumed" && e.Message.StartsWith("Resumed after restart (", StringComparison.Ordinal));
    }

    private static async Task<LeaseRecord?> LeaseOfAsync(CoreTestHost host, Guid runId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.Leases.AsNoTracking().SingleOrDefaultAsync(l => l.Name == RunLease.NameFor(runId));
    }

    private static async Task SetLeaseAsync(CoreTestHost host, Guid runId, string owner, DateTimeOffset expiresAt)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        var name = RunLease.NameFor(runId);
        await db.Leases.Where(l => l.Name == name)
            .ExecuteUpdateAsync(u => u.SetProperty(l => l.Owner, owner).SetProperty(l => l.ExpiresAt, expiresAt));
    }

    private static async Task<List<RunEvent>> EventsOfAsync(CoreTestHost host, Guid runId)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return await db.RunEvents.AsNoTracking().Where(e => e.RunId == runId).OrderBy(e => e.Id).ToListAsync();
    }
}
