using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>Klaviyo:BaseUrl pointing at a closed port: the run fails soon, with a reason a marketer can act on.</summary>
public sealed class KlaviyoUnreachableTests
{
    [Fact]
    public async Task Run_KlaviyoRefusesConnections_FailsAfterTheBriefRetries_WithAReasonPointingToSettings()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        await host.Get<Refly.Core.Campaigns.CampaignSyncService>().SyncAsync(CancellationToken.None);
        var closed = MakeUnreachable(host);

        var started = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id], RunTrigger.Manual, "test"), CancellationToken.None);
        Assert.True(started.Succeeded, started.ErrorMessage);

        var failed = await RunScenario.WaitForStateAsync(host, started.Run!.Id, RunState.Failed, TimeSpan.FromSeconds(60));
        Assert.StartsWith($"Refly could not reach Klaviyo at {closed.Authority} (the connection was refused).", failed.Error, StringComparison.Ordinal);
        Assert.Contains("Check the Klaviyo connection in Settings", failed.Error, StringComparison.Ordinal);
        Assert.Equal(0, failed.Written);
        // The first Klaviyo call of the run failed after the brief retries of a refused connection, not after every retry.
        Assert.Equal(KlaviyoServiceCollectionExtensions.ConnectFailureRetryAttempts, host.Get<KlaviyoClientStats>().For(KlaviyoEndpoints.GetCampaign.Key).Retries);
    }

    /// <summary>Points the running host's Klaviyo client at a port nothing listens on; returns that address.</summary>
    internal static Uri MakeUnreachable(CoreTestHost host)
    {
        var closed = ClosedPort.Url();
        SetBaseUrl(host, closed);
        return closed;
    }

    internal static void SetBaseUrl(CoreTestHost host, Uri baseUrl)
    {
        var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        configuration["Klaviyo:BaseUrl"] = baseUrl.ToString();
        configuration.Reload();
    }
}
