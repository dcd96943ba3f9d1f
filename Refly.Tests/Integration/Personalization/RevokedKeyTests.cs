using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>Issue #6: the Klaviyo key revoked in the middle of a run.</summary>
public sealed class RevokedKeyTests
{
    [Fact]
    public async Task KeyRevokedMidRun_FailsWithTheReason_ThenCleansUpWhenAValidKeyIsBack()
    {
        await using var host = await CoreTestHost.StartAsync(o => o.Latency = TimeSpan.FromMilliseconds(80));
        var scenario = RunScenario.Create(host.Store, sizeA: 2_000);
        var message = scenario.Campaign.Messages[0];
        var originalSubject = host.Store.GetMessage(message.Id)!.Subject;
        var originalHtml = host.Store.GetTemplate(host.Store.GetMessage(message.Id)!.TemplateId!)!.Html;

        // Klaviyo takes the first import job and holds the others, so the run is surely mid-way when the key is revoked.
        var imports = host.Store.Hold(operation => operation == "bulk_import_profiles", passFirst: 1);
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.Written > 0, TimeSpan.FromSeconds(60)));

        // Revoke: from now on every request carries a key the sandbox rejects (401), as after a revocation in Klaviyo.
        var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        configuration["Klaviyo:ApiKey"] = "pk_revoked_key_0000_0000_0000";
        configuration.Reload();
        imports.Release();

        var failed = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Failed, TimeSpan.FromSeconds(60));
        Assert.Contains("Klaviyo rejected the API key", failed.Error, StringComparison.Ordinal);
        Assert.False(failed.CleanedUp);
        Assert.True(failed.Written < scenario.AudienceIds.Count);

        // A valid key again (the restart reads the original configuration): the queued clean-up restores the originals.
        await host.RestartAsync();
        Assert.True(await CoreTestHost.WaitUntilAsync(async () => (await host.Get<RunStore>().GetAsync(run.Id, default))!.CleanedUp, TimeSpan.FromSeconds(90)),
            "the clean-up did not run after the key came back");
        var restored = host.Store.GetMessage(message.Id)!;
        Assert.Equal(originalSubject, restored.Subject);
        // Klaviyo assigns a copy of the original template (the same HTML under a new id).
        Assert.Equal(originalHtml, host.Store.GetTemplate(restored.TemplateId!)!.Html);
        Assert.All(scenario.AudienceIds, id => Assert.False(RunScenario.HasAnyReflyProperty(host.Store, id), $"{id} kept the run's properties"));
        Assert.Equal(RunState.Failed, (await host.Get<RunStore>().GetAsync(run.Id, default))!.State);
    }
}
