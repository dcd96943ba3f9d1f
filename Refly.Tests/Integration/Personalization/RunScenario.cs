using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>
/// A small exact audience: list A (indices 0..299), list B (200..399, overlapping A by 100), excluded list X
/// (250..299). The audience is therefore indices 0..249 and 300..399: 350 contacts.
/// </summary>
internal sealed class RunScenario
{
    public const string Html = "<html><body><h1>Hello</h1><!-- refly:intro --><p>Original body</p></body></html>";

    public required SandboxCampaign Campaign { get; init; }

    public required IReadOnlyList<string> AudienceIds { get; init; }

    public required IReadOnlyList<string> NonAudienceIds { get; init; }

    public static RunScenario Create(SandboxStore store, string status = CampaignStatuses.Draft, DateTimeOffset? sendTime = null, int messages = 1, int sizeA = 300)
    {
        var a = store.AddList("A", sizeA, startIndex: 0);
        var b = store.AddList("B", 200, startIndex: sizeA - 100);
        var x = store.AddList("X", 50, startIndex: sizeA - 50);
        var seeds = Enumerable.Range(0, messages)
            .Select(i => new MessageSeed(messages == 1 ? "Email" : $"Variation {(char)('A' + i)}", $"Original subject {i}", $"Original preview {i}", Html))
            .ToList();
        var campaign = store.AddCampaign("Scenario", status, sendTime ?? store.TimeProvider.GetUtcNow().AddDays(2), seeds, [a.Id, b.Id], [x.Id]);
        var end = sizeA + 100;
        var audience = Enumerable.Range(0, end).Where(i => i < sizeA - 50 || i >= sizeA).Select(i => ProfileGenerator.IdFor(i)).ToList();
        var outsider = store.AddList("Not in the campaign", 20);
        var outside = Enumerable.Range(sizeA - 50, 50).Select(i => ProfileGenerator.IdFor(i))
            .Concat(Enumerable.Range(0, 20).Select(i => ProfileGenerator.IdFor(outsider.GeneratedStart + i))).ToList();
        return new RunScenario { Campaign = campaign, AudienceIds = audience, NonAudienceIds = outside };
    }

    public static async Task<PersonalizationRun> StartAsync(CoreTestHost host, string campaignId, IReadOnlyList<string> messageIds)
    {
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var result = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(campaignId, messageIds, RunTrigger.Manual, "test"), CancellationToken.None);
        Assert.True(result.Succeeded, result.ErrorMessage);
        return result.Run!;
    }

    public static async Task<PersonalizationRun> WaitForStateAsync(CoreTestHost host, Guid runId, RunState state, TimeSpan? timeout = null)
    {
        PersonalizationRun? run = null;
        var reached = await CoreTestHost.WaitUntilAsync(async () =>
        {
            run = await host.Get<RunStore>().GetAsync(runId, CancellationToken.None);
            return run?.State == state;
        }, timeout ?? TimeSpan.FromSeconds(60));
        Assert.True(reached, $"Run did not reach {state}; it is {run?.State} ({run?.Error}), written {run?.Written}");
        return run!;
    }

    public static bool HasProperties(SandboxStore store, string profileId, string messageId)
    {
        var key = PersonalizedMarkup.MessageKey(messageId);
        var properties = store.GetProfileProperties(profileId);
        return properties.ContainsKey(PersonalizedMarkup.SubjectProperty(key));
    }

    public static bool HasAnyReflyProperty(SandboxStore store, string profileId) =>
        store.GetProfileProperties(profileId).Keys.Any(k => k.StartsWith(PersonalizedMarkup.PropertyPrefix, StringComparison.Ordinal));
}
