using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>An approved (edited) sample in a real run against the sandbox: what its fact group receives, and what the run keeps.</summary>
public sealed class ApprovedCopyRunTests
{
    [Fact]
    public async Task EditedSample_IsWhatItsGroupReceives_AndOnlyItsGroup_InARunTheTagStarted()
    {
        await using var host = await CoreTestHost.StartAsync();
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var profiles = await AudienceProfilesAsync(host, scenario);
        var sample = profiles[0];
        var group = ContactFacts.From(sample).Hash;
        var original = new MessageContent(message.Subject!, message.PreviewText);
        await host.Get<ApprovedCopyStore>().SaveAsync(
            scenario.Campaign.Id,
            new Dictionary<string, MessageContent> { [message.Id] = original },
            [new ApprovedCopyInput(message.Id, group, "{first_name}, hand-written for your group", "", "Hi {first_name}, we wrote this one ourselves.", ApprovedCopyOrigin.Marketer)],
            "ana@example.com",
            CancellationToken.None);

        var started = await host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(scenario.Campaign.Id, [message.Id], RunTrigger.Tag, "Refly: Personalize"), CancellationToken.None);
        Assert.True(started.Succeeded, started.ErrorMessage);
        await RunScenario.WaitForStateAsync(host, started.Run!.Id, RunState.Completed);

        var key = PersonalizedMarkup.MessageKey(message.Id);
        var inGroup = profiles.Where(p => ContactFacts.From(p).Hash == group).ToList();
        var others = profiles.Where(p => ContactFacts.From(p).Hash != group).ToList();
        Assert.NotEmpty(others);
        Assert.All(inGroup, p =>
        {
            var properties = host.Store.GetProfileProperties(p.Id);
            Assert.Equal(FirstNameToken.Fill("{first_name}, hand-written for your group", RuleBasedPersonalizer.GreetingName(p)), properties[PersonalizedMarkup.SubjectProperty(key)] as string);
            Assert.Contains("we wrote this one ourselves", properties[PersonalizedMarkup.IntroProperty(key)] as string ?? string.Empty, StringComparison.Ordinal);
        });
        Assert.All(others, p => Assert.DoesNotContain(
            "hand-written", host.Store.GetProfileProperties(p.Id).GetValueOrDefault(PersonalizedMarkup.SubjectProperty(key)) as string ?? string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunKeepsTheCopyItStartedWith_WhenTheMarketerApprovesAgainMeanwhile()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false);
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        var originals = new Dictionary<string, MessageContent> { [message.Id] = new(message.Subject!, message.PreviewText) };
        var store = host.Get<ApprovedCopyStore>();
        await store.SaveAsync(scenario.Campaign.Id, originals, [new ApprovedCopyInput(message.Id, "g1", "First approval", null, null, ApprovedCopyOrigin.Marketer)], "ana", CancellationToken.None);

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        await store.SaveAsync(scenario.Campaign.Id, originals, [new ApprovedCopyInput(message.Id, "g1", "Second approval", null, null, ApprovedCopyOrigin.Marketer)], "ana", CancellationToken.None);
        await store.CopyToRunAsync(scenario.Campaign.Id, run.Id, CancellationToken.None);

        var kept = await store.GetForRunAsync(run, CancellationToken.None);
        Assert.Equal("First approval", Assert.Single(kept).Subject);
        Assert.Equal("Second approval", Assert.Single(await store.GetForCampaignAsync(scenario.Campaign.Id, CancellationToken.None)).Subject);
    }

    private static async Task<List<KlaviyoProfile>> AudienceProfilesAsync(CoreTestHost host, RunScenario scenario)
    {
        var audience = scenario.AudienceIds.ToHashSet(StringComparer.Ordinal);
        var client = host.Get<IKlaviyoClient>();
        var result = new Dictionary<string, KlaviyoProfile>(StringComparer.Ordinal);
        foreach (var listId in scenario.Campaign.Included)
        {
            string? cursor = null;
            do
            {
                var page = await client.GetGroupProfilesPageAsync(new KlaviyoGroupRef(KlaviyoGroupKind.List, listId), cursor, null, CancellationToken.None);
                foreach (var profile in page.Items.Where(p => audience.Contains(p.Id)))
                {
                    result.TryAdd(profile.Id, profile);
                }

                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }

        return [.. result.Values];
    }
}
