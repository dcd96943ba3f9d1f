using Microsoft.EntityFrameworkCore;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Holdouts;

/// <summary>A run with a holdout over the sandbox: who is held out, that they get nothing, and that a resume keeps them.</summary>
public sealed class HoldoutRunTests
{
    [Fact]
    public async Task RunWithHoldout_HeldOutContactsGetNoProperties_EveryoneElseDoes_CountsAddUp()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var run = await StartAsync(host, scenario.Campaign.Id, [message.Id], holdoutShare: 0.2);

        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        var heldOut = await IdsAsync(host, run.Id, RunContactState.HeldOut);
        var expected = scenario.AudienceIds.Where(id => HoldoutSelector.IsHeldOut(run.Id, id, 0.2)).ToHashSet();
        Assert.Equal(expected.Order(), heldOut.Order());
        Assert.InRange(heldOut.Count, (int)(scenario.AudienceIds.Count * 0.15), (int)(scenario.AudienceIds.Count * 0.25));
        Assert.All(heldOut, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"held-out {id} received properties"));
        Assert.All(scenario.AudienceIds.Where(id => !expected.Contains(id)), id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was not personalized"));
        // No import job carried a held-out contact, not even with nothing set.
        Assert.DoesNotContain(host.Store.GetImportJobs().SelectMany(j => j.Entries), e => e.Index is { } index && expected.Contains(ProfileGenerator.IdFor(index)));

        Assert.Equal(heldOut.Count, done.HeldOut);
        Assert.Equal(scenario.AudienceIds.Count - heldOut.Count, done.Written);
        Assert.Equal(done.Written + done.Failed + done.HeldOut, done.Processed);
        Assert.Equal(0.2, done.HoldoutShare);
        var view = await host.Get<RunQueryService>().GetAsync(run.Id, CancellationToken.None);
        Assert.Equal(heldOut.Count, view!.HeldOut);
    }

    [Fact]
    public async Task ResumeAfterRestart_KeepsTheSameHoldout()
    {
        // Import jobs take 2 s in Klaviyo: the restart comes while batches are unconfirmed, so the resume reads pages again.
        await using var host = await CoreTestHost.StartAsync(o =>
        {
            o.Latency = TimeSpan.FromMilliseconds(20);
            o.ImportJobDelay = TimeSpan.FromSeconds(2);
        });
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var run = await StartAsync(host, scenario.Campaign.Id, [message.Id], holdoutShare: 0.1);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Store.GetImportJobs().Count > 0), TimeSpan.FromSeconds(60)));
        var heldOutBefore = await IdsAsync(host, run.Id, RunContactState.HeldOut);
        var before = (await host.Get<RunStore>().GetAsync(run.Id, default))!;
        Assert.NotEqual(RunState.Completed, before.State);
        Assert.NotEmpty(heldOutBefore);

        await host.RestartAsync();
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        var heldOut = await IdsAsync(host, run.Id, RunContactState.HeldOut);
        var expected = scenario.AudienceIds.Where(id => HoldoutSelector.IsHeldOut(run.Id, id, 0.1)).ToHashSet();
        Assert.Superset(heldOutBefore, heldOut);
        Assert.Equal(expected.Order(), heldOut.Order());
        Assert.All(heldOut, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"held-out {id} received properties"));
        Assert.All(scenario.AudienceIds.Where(id => !expected.Contains(id)), id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id), $"{id} was not personalized"));
        Assert.Equal(heldOut.Count, done.HeldOut);
        Assert.Equal(scenario.AudienceIds.Count - heldOut.Count, done.Written);
        Assert.Equal(done.Written + done.Failed + done.HeldOut, done.Processed);
    }

    [Fact]
    public async Task Cancel_RunWithHoldout_RemovesEveryPropertyAndKeepsTheHeldOutRecord()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.ImportJobDelay = TimeSpan.FromSeconds(1));
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var run = await StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], holdoutShare: 0.3);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(host.Store.GetImportJobs().Count > 0), TimeSpan.FromSeconds(60)));

        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "test", default);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Cancelled, TimeSpan.FromSeconds(120));

        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} kept its properties"));
        Assert.All(await IdsAsync(host, run.Id, RunContactState.HeldOut), id => Assert.True(HoldoutSelector.IsHeldOut(run.Id, id, 0.3)));
    }

    [Fact]
    public async Task SecondRunWithHoldout_HeldOutContactsLoseTheFirstRunsProperties()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store, sizeA: 1_000);
        var message = scenario.Campaign.Messages[0];
        var first = await StartAsync(host, scenario.Campaign.Id, [message.Id], holdoutShare: 0);
        await RunScenario.WaitForStateAsync(host, first.Id, RunState.Completed, TimeSpan.FromSeconds(120));
        Assert.All(scenario.AudienceIds, id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id)));

        var second = await StartAsync(host, scenario.Campaign.Id, [message.Id], holdoutShare: 0.3);
        await RunScenario.WaitForStateAsync(host, second.Id, RunState.Completed, TimeSpan.FromSeconds(120));

        var heldOut = await IdsAsync(host, second.Id, RunContactState.HeldOut);
        Assert.NotEmpty(heldOut);
        Assert.All(heldOut, id => Assert.False(RunScenario.HasProperties(host.Store, id, message.Id), $"held-out {id} kept the first run's properties"));
        Assert.All(scenario.AudienceIds.Where(id => !heldOut.Contains(id)), id => Assert.True(RunScenario.HasProperties(host.Store, id, message.Id)));
    }

    internal static async Task<PersonalizationRun> StartAsync(CoreTestHost host, string campaignId, IReadOnlyList<string> messageIds, double holdoutShare)
    {
        await host.Get<Refly.Core.Campaigns.CampaignSyncService>().SyncAsync(CancellationToken.None);
        var result = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(campaignId, messageIds, RunTrigger.Manual, "test") { HoldoutShare = holdoutShare }, CancellationToken.None);
        Assert.True(result.Succeeded, result.ErrorMessage);
        return result.Run!;
    }

    internal static async Task<HashSet<string>> IdsAsync(CoreTestHost host, Guid runId, RunContactState state)
    {
        await using var db = await host.Get<IDbContextFactory<ReflyDbContext>>().CreateDbContextAsync();
        return (await db.RunContacts.Where(c => c.RunId == runId && c.State == state).Select(c => c.ProfileId).ToListAsync()).ToHashSet(StringComparer.Ordinal);
    }
}
