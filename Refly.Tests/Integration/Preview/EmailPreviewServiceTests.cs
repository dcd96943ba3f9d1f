using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.ModelSandbox;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Preview;

/// <summary>The email preview against the Klaviyo sandbox over real HTTP: rendered by render_template, nothing changed.</summary>
public sealed class EmailPreviewServiceTests
{
    internal const string Body =
        "<html><body><h1>Drop</h1><!-- refly:intro --><p>Hi {{ first_name|default:'there' }},</p><p>Original body</p><p>{% unsubscribe %}</p></body></html>";

    internal const string Subject = "You're in: early access";

    [Fact]
    public async Task Preview_Samples_RendersTheLargestFactGroupsAsTheRealEmail_NextToTheOriginal()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = await SeedAsync(host);
        var templatesBefore = host.Store.GetTemplates(reusableOnly: false).Count;
        var messageId = campaign.Messages[0].KlaviyoId;
        var subjectBefore = host.Store.GetMessage(messageId)!.Subject;

        var result = await host.Get<EmailPreviewService>().PreviewAsync(campaign, [messageId], null, null, CancellationToken.None);

        Assert.Equal(EmailPreviewStatus.Ok, result.Status);
        // Gold/Shoes (3 contacts) first, then Silver/Bags (2), then the single ones: one contact per group.
        Assert.Equal([3, 2, 1], result.Previews.Select(p => p.GroupSize).Take(3));
        Assert.Equal(4, result.Previews.Count);
        Assert.Contains("Gold", result.Previews[0].Facts, StringComparison.Ordinal);
        foreach (var preview in result.Previews)
        {
            Assert.Equal(Subject, preview.Original.Subject);
            Assert.Equal("Be first", preview.Original.PreviewText);
            Assert.Contains("<p>Original body</p>", preview.Original.Html, StringComparison.Ordinal);
            Assert.Contains("<p>Original body</p>", preview.Personalized.Html, StringComparison.Ordinal);
            Assert.DoesNotContain("{{", preview.Personalized.Html, StringComparison.Ordinal);
            Assert.DoesNotContain("{%", preview.Personalized.Html, StringComparison.Ordinal);
            Assert.DoesNotContain("{{", preview.Personalized.Subject, StringComparison.Ordinal);
            Assert.Equal(ContentSource.RuleBased, preview.Source);
        }

        // What the rule-based personalizer writes for that contact is what Klaviyo rendered into the email.
        var first = result.Previews[0];
        var profile = host.Store.GetProfile(IdOf(host, first.Contact))!;
        Assert.Contains($"<p>Hi {profile.FirstName},</p>", first.Personalized.Html, StringComparison.Ordinal);
        Assert.Contains($"<p>Hi {profile.FirstName},</p>", first.Original.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("refly:personalized", first.Original.Html, StringComparison.Ordinal);
        Assert.Contains("refly:personalized:begin", first.Personalized.Html, StringComparison.Ordinal);
        Assert.NotEqual(first.Original.Html, first.Personalized.Html);
        Assert.NotEqual(Subject, first.Personalized.Subject);

        // Nothing in Klaviyo changed: the temporary templates are gone and the message is as it was.
        Assert.Equal(templatesBefore, host.Store.GetTemplates(reusableOnly: false).Count);
        Assert.Equal(subjectBefore, host.Store.GetMessage(messageId)!.Subject);
        Assert.DoesNotContain(host.Store.GetProfileProperties(IdOf(host, first.Contact)).Keys, k => k.StartsWith("refly_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Preview_WithApprovedCopyForAGroup_ShowsThatCopyForItsContact_AndTheSuggestionForTheOthers()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = await SeedAsync(host);
        var messageId = campaign.Messages[0].KlaviyoId;
        var service = host.Get<EmailPreviewService>();
        var before = await service.PreviewAsync(campaign, [messageId], null, null, CancellationToken.None);
        var largest = (await host.Get<Refly.Core.Klaviyo.IKlaviyoClient>().FindProfileByEmailAsync(before.Previews[0].Contact, CancellationToken.None))!;
        var facts = ContactFacts.From(largest, CampaignBrief.Default);
        ApprovedCopyInput edit = new(messageId, facts.Hash, "{first_name}, our picks for Gold members", "Chosen by the team", "A short note from us.", ApprovedCopyOrigin.Marketer);

        var result = await service.PreviewAsync(campaign, [messageId], null, null, CancellationToken.None, [edit]);

        var first = result.Previews[0];
        Assert.Equal(ContentSource.Marketer, first.Source);
        Assert.Equal($"{largest.FirstName}, our picks for Gold members", first.Personalized.Subject);
        Assert.Contains("A short note from us.", first.Personalized.Html, StringComparison.Ordinal);
        Assert.All(result.Previews.Skip(1), p => Assert.Equal(ContentSource.RuleBased, p.Source));
    }

    [Fact]
    public async Task Preview_ContactByEmail_RendersThatContact_AndAnUnknownEmailSaysSo()
    {
        await using var host = await CoreTestHost.StartAsync();
        var campaign = await SeedAsync(host);
        var messageIds = campaign.Messages.Select(m => m.KlaviyoId).ToList();
        var service = host.Get<EmailPreviewService>();

        var result = await service.PreviewAsync(campaign, messageIds, "  NIA@example.com ", null, CancellationToken.None);

        Assert.Equal(EmailPreviewStatus.Ok, result.Status);
        Assert.Equal(messageIds, result.Previews.Select(p => p.MessageId));
        Assert.All(result.Previews, p => Assert.Equal("nia@example.com", p.Contact));
        Assert.All(result.Previews, p => Assert.Contains("<p>Hi Niamhy,</p>", p.Personalized.Html, StringComparison.Ordinal));

        var unknown = await service.PreviewAsync(campaign, messageIds, "nobody@example.com", null, CancellationToken.None);
        Assert.Equal(EmailPreviewStatus.UnknownEmail, unknown.Status);
        Assert.Empty(unknown.Previews);
        Assert.Contains("nobody@example.com", unknown.Message, StringComparison.Ordinal);

        await Assert.ThrowsAsync<ArgumentException>(() => service.PreviewAsync(campaign, ["not-a-message"], null, null, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => service.PreviewAsync(campaign, [], null, null, CancellationToken.None));
    }

    [Fact]
    public async Task Preview_WithTheLlm_IsModelWritten_AndNoPromptHoldsAContactsNameEmailOrId()
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        await using var host = await CoreTestHost.StartAsync(startScheduler: false, settings: new Dictionary<string, string?>
        {
            ["Personalization:Personalizer"] = "llm",
            ["Personalization:Llm:Endpoint"] = model.Endpoint.ToString(),
            ["Personalization:Llm:ModelId"] = model.ModelId,
        });
        var campaign = await SeedAsync(host);

        var result = await host.Get<EmailPreviewService>().PreviewAsync(
            campaign, [campaign.Messages[0].KlaviyoId], null, new CampaignBrief(Goal: "Early access for VIPs"), CancellationToken.None);

        Assert.Equal(4, result.Previews.Count);
        Assert.All(result.Previews, p => Assert.Equal(ContentSource.Model, p.Source));
        Assert.NotEmpty(model.Requests);
        foreach (var preview in result.Previews)
        {
            var profile = host.Store.GetProfile(IdOf(host, preview.Contact))!;
            // The model's intro is in the body Klaviyo rendered, with the name filled in by Refly.
            Assert.Contains($"Hi {profile.FirstName}, ", preview.Personalized.Html, StringComparison.Ordinal);
            foreach (var request in model.Requests)
            {
                foreach (var secret in new[] { profile.Id, profile.Email!, profile.FirstName!, profile.LastName! })
                {
                    Assert.DoesNotContain(secret, request.Prompt, StringComparison.Ordinal);
                }
            }
        }
    }

    [Fact]
    public void Context_GivesTheProfileAndThePersonalizedProperties_ButNoEarlierRunsValues()
    {
        var profile = new Refly.Core.Klaviyo.KlaviyoProfile("p1", "ava@example.com", "Ava", null, "Berlin", "DE", null,
            new Dictionary<string, string?> { ["loyalty_tier"] = "Gold", ["refly_old_subject"] = "stale" });

        var context = EmailPreviewService.Context(profile, new Dictionary<string, string> { ["refly_new_subject"] = "Fresh" });

        Assert.Equal("Ava", (string?)context["first_name"]);
        Assert.Equal("Gold", (string?)context["person"]!["loyalty_tier"]);
        Assert.Equal("Fresh", (string?)context["person"]!["refly_new_subject"]);
        Assert.Null(context["person"]!["refly_old_subject"]);
    }

    /// <summary>A Draft campaign (two messages) over a list of explicit contacts in four fact groups; synced.</summary>
    internal static Task<Campaign> SeedAsync(CoreTestHost host) => SeedAsync(host.Store, host.Services);

    internal static async Task<Campaign> SeedAsync(SandboxStore store, IServiceProvider services)
    {
        var list = store.AddList("VIP", 0);
        var seeds = new List<ProfileSeed>();
        void Add(string email, string first, string tier, string category) =>
            seeds.Add(new ProfileSeed(email, first, "Quimbleton", "Berlin", "DE",
                new Dictionary<string, object?> { ["loyalty_tier"] = tier, ["favorite_category"] = category }));
        Add("ava@example.com", "Avrilla", "Gold", "Shoes");
        Add("ben@example.com", "Benedikta", "Silver", "Bags");
        Add("cy@example.com", "Cyrilla", "Gold", "Shoes");
        Add("dan@example.com", "Danuta", "Silver", "Bags");
        Add("eve@example.com", "Everild", "Gold", "Shoes");
        Add("nia@example.com", "Niamhy", "Bronze", "Hats");
        Add("oli@example.com", "Olisanne", "Platinum", "Coats");
        store.AddProfilesToGroup(list.Id, seeds);
        var campaign = store.AddCampaign("VIP drop", CampaignStatuses.Draft, store.TimeProvider.GetUtcNow().AddDays(2),
            [new MessageSeed("Variation A", Subject, "Be first", Body), new MessageSeed("Variation B", "Say \"hi\" to 30% off", "", Body)],
            [list.Id]);
        await services.GetRequiredService<CampaignSyncService>().SyncAsync(CancellationToken.None);
        return (await services.GetRequiredService<CampaignQueryService>().FindAsync(campaign.Id, CancellationToken.None))!;
    }

    private static string IdOf(CoreTestHost host, string email) =>
        host.Store.AddProfile(new ProfileSeed(email)).Id;
}
