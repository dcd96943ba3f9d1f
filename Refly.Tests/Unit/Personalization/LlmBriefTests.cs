using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

/// <summary>The LLM personalizer with a campaign brief: the prompt carries it, only its facts, its banned words rejected.</summary>
public sealed class LlmBriefTests
{
    private static readonly CampaignBrief _brief = new(
        "Early access for VIPs: 30% off everything", "playful", ["cheap", "hurry"], [BriefFact.LoyaltyTier, BriefFact.FavoriteCategory], "de");

    private static readonly PersonalizationRequest _request = new(
        new KlaviyoProfile("p1", "anna@example.com", "Anna", "Kowalski", "Berlin", "DE", null,
            new Dictionary<string, string?> { ["favorite_category"] = "shoes", ["loyalty_tier"] = "Gold", ["days_since_last_order"] = "252", ["last_product_viewed"] = "Trail Runner 2" }),
        "m1",
        "VIP early access",
        new MessageContent("Frühzugang: 30% auf alles", "Nur für Mitglieder."))
    {
        Brief = _brief,
        BriefHash = _brief.Hash(),
    };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Prompt_CarriesTheBrief_AndOnlyItsAllowedFacts()
    {
        var client = Echoing("""{"subject":"Gold: Frühzugang","preview_text":"","intro":"Es ist so weit."}""");

        var result = await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        var user = JsonNode.Parse(Assert.Single(client.Calls)[^1].Text)!;
        Assert.Equal("Early access for VIPs: 30% off everything", user["brief"]!["goal"]!.GetValue<string>());
        Assert.Equal("playful", user["brief"]!["tone"]!.GetValue<string>());
        Assert.Equal(["cheap", "hurry"], user["brief"]!["avoid_words"]!.AsArray().Select(w => w!.GetValue<string>()));
        Assert.Equal("de", user["brief"]!["language"]!.GetValue<string>());
        var group = user["groups"]![0]!.AsObject();
        Assert.Equal(["group", "loyalty_tier", "favorite_category"], group.Select(p => p.Key));
        var text = user.ToJsonString();
        foreach (var secret in (string[])["anna@example.com", "Anna", "Kowalski", "\"p1\"", "Berlin", "Trail Runner", "lapsed"])
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        // The greeting before the model's intro is Refly's, in the brief's language.
        Assert.StartsWith("<p>Hallo Anna, ", result.IntroHtml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SystemPrompt_SaysToFollowTheBrief()
    {
        var client = Echoing("""{"subject":"Gold","preview_text":"","intro":""}""");

        await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        var system = Assert.Single(client.Calls)[0].Text;
        Assert.Contains("avoid_words", system, StringComparison.Ordinal);
        Assert.Contains("language", system, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoBrief_PromptHasNoBriefAndEveryFact()
    {
        var client = Echoing("""{"subject":"Hi","preview_text":"","intro":""}""");

        await Personalizer(client).PersonalizeAsync(_request with { Brief = CampaignBrief.Default, BriefHash = null }, CancellationToken.None);

        var user = JsonNode.Parse(Assert.Single(client.Calls)[^1].Text)!;
        Assert.Null(user["brief"]);
        Assert.Equal("Trail Runner 2", user["groups"]![0]!["last_product_viewed"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"subject":"Cheap Gold deals","preview_text":"x","intro":"y"}""")]
    [InlineData("""{"subject":"Gold","preview_text":"HURRY in","intro":"y"}""")]
    [InlineData("""{"subject":"Gold","preview_text":"x","intro":"So cheap!"}""")]
    public async Task ModelOutputWithAWordToAvoid_FallsBackToTheBriefsRuleBasedCopy(string item)
    {
        var personalizer = Personalizer(Echoing(item));

        var result = await personalizer.PersonalizeAsync(_request, CancellationToken.None);

        Assert.Equal(ContentSource.RuleBased, result.Source);
        Assert.Contains("BannedWord", result.FallbackReason, StringComparison.Ordinal);
        Assert.Contains(personalizer.Stats.Snapshot().GroupFallbacksByReason, r => r.Key.Contains("BannedWord", StringComparison.Ordinal));
        // The rule-based fallback follows the same brief: German, so the original is kept.
        Assert.Null(result.Subject);
    }

    [Fact]
    public async Task OfferNumbersFromTheBriefsGoal_AreNoInventedNumbers()
    {
        var request = _request with { Original = new MessageContent("Frühzugang", null) };
        var result = await Personalizer(Echoing("""{"subject":"Frühzugang: 30% auf alles","preview_text":"","intro":""}""")).PersonalizeAsync(request, CancellationToken.None);

        Assert.Equal(ContentSource.Model, result.Source);
    }

    [Fact]
    public async Task ChangedBrief_IsANewGeneration_SameBriefIsShared()
    {
        var client = Echoing("""{"subject":"Gold","preview_text":"","intro":""}""");
        var personalizer = Personalizer(client);
        var other = _brief with { Tone = "formal" };

        await personalizer.PersonalizeAsync(_request, CancellationToken.None);
        await personalizer.PersonalizeAsync(_request with { Profile = _request.Profile with { Id = "p2", FirstName = "Ben" } }, CancellationToken.None);
        Assert.Single(client.Calls);
        await personalizer.PersonalizeAsync(_request with { Brief = other, BriefHash = other.Hash() }, CancellationToken.None);
        Assert.Equal(2, client.Calls.Count);
    }

    [Fact]
    public void ContactFacts_WithABrief_KeepOnlyTheAllowedFacts()
    {
        var all = ContactFacts.From(_request.Profile);
        var allowed = ContactFacts.From(_request.Profile, _brief);

        Assert.Equal(6, all.ToPromptFields().Count);
        Assert.Equal(["loyalty_tier", "favorite_category"], allowed.ToPromptFields().Select(f => f.Key));
        Assert.NotEqual(all.Hash, allowed.Hash);
    }

    [Fact]
    public void Greeting_FollowsLanguageAndTone()
    {
        Assert.Equal("Hallo Anna,", BriefGreetings.Greeting(new CampaignBrief(Language: "de-AT"), "Anna"));
        Assert.Equal("Dear Anna,", BriefGreetings.Greeting(new CampaignBrief(Tone: "formal"), "Anna"));
        Assert.Equal("Hi there,", BriefGreetings.Greeting(CampaignBrief.Default, ""));
    }

    private LlmPersonalizer Personalizer(IChatClient client) =>
        new(client, Options.Create(new LlmPersonalizerOptions()), _time);

    private static FakeChatClient Echoing(string item) =>
        new((messages, _) =>
        {
            var items = new JsonArray();
            foreach (var group in JsonNode.Parse(messages[^1].Text)!["groups"]!.AsArray())
            {
                var answer = JsonNode.Parse(item)!.AsObject();
                answer["group"] = group!["group"]!.GetValue<string>();
                items.Add(answer);
            }

            return Task.FromResult(FakeChatClient.Answer(new JsonObject { ["items"] = items }.ToJsonString()));
        });
}
