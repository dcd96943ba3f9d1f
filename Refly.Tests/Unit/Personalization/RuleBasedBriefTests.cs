using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

/// <summary>The rule-based personalizer follows the campaign's brief (issue 15, item 4).</summary>
public sealed class RuleBasedBriefTests
{
    private static readonly MessageContent _earlyAccess = new("Early access: 30% off everything", "Before anyone else.");
    private readonly RuleBasedPersonalizer _personalizer = new();

    [Fact]
    public void EarlyAccessEmail_LapsedContact_GetsNoWinBackLine()
    {
        // The first example: a lapsed contact (252 days) on a VIP early-access email.
        for (var i = 0; i < 100; i++)
        {
            var profile = Profile($"p{i}", i % 2 == 0 ? "Leila" : null, props: new() { ["days_since_last_order"] = "252" });
            var result = _personalizer.Personalize(Request(profile, _earlyAccess, "VIP early access", new CampaignBrief(Goal: "Early access for VIPs: 30% off everything")));

            var all = Text(result);
            Assert.DoesNotMatch("(?i)(252 days|since your last order|missed you|it's been|been a while|welcome back|coming back)", all);
        }
    }

    [Fact]
    public void EarlyAccessSubjectWithoutBrief_IsReadAsEarlyAccess_NoWinBackLine()
    {
        var profile = Profile("p1", "Leila", props: new() { ["days_since_last_order"] = "252" });

        var result = _personalizer.Personalize(Request(profile, _earlyAccess, "November launch", CampaignBrief.Default));

        Assert.DoesNotContain("252", Text(result), StringComparison.Ordinal);
        Assert.Equal(CampaignKind.EarlyAccess, CampaignKinds.Classify(null, "November launch", _earlyAccess.Subject));
    }

    [Fact]
    public void WinBackBrief_LapsedContact_GetsWinBackLines()
    {
        var winBackLines = 0;
        for (var i = 0; i < 50; i++)
        {
            var profile = Profile($"p{i}", "Leila", props: new() { ["days_since_last_order"] = "252" });
            var result = _personalizer.Personalize(Request(profile, new MessageContent("New arrivals", null), "Autumn", new CampaignBrief(Goal: "Win back lapsed customers")));
            if (System.Text.RegularExpressions.Regex.IsMatch(Text(result), "(?i)(missed you|been a while|since your last|welcome back|coming back|since you last|since we last)"))
            {
                winBackLines++;
            }
        }

        Assert.True(winBackLines >= 45, $"only {winBackLines} of 50 lapsed contacts got a win-back line on a win-back campaign");
    }

    [Fact]
    public void SubjectWithAColon_NeverGetsASecondColonNorARepeatedPhrase()
    {
        // The second example: "Leila, first look for Gold members: Early access: 30% off everything".
        for (var i = 0; i < 200; i++)
        {
            var result = _personalizer.Personalize(Request(RuleBasedPersonalizerTests.SampleProfile(i) with { Id = $"s{i}" }, _earlyAccess, "VIP", CampaignBrief.Default));
            if (result.Subject is null)
            {
                continue;
            }

            Assert.True(result.Subject.Count(ch => ch == ':') == 1, result.Subject);
            Assert.Equal(1, CountOf(result.Subject, "early access"));
            Assert.Contains(_earlyAccess.Subject, result.Subject, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GoldMemberOnEarlyAccessEmail_GetsAPersonalizedSubjectWithOneColon()
    {
        var result = _personalizer.Personalize(Request(
            Profile("leila", "Leila", props: new() { ["loyalty_tier"] = "Gold" }), _earlyAccess, "VIP", CampaignBrief.Default));

        Assert.NotNull(result.Subject);
        Assert.Contains("Gold", result.Subject, StringComparison.Ordinal);
        Assert.Equal(1, result.Subject.Count(ch => ch == ':'));
    }

    [Fact]
    public void WordsToAvoid_NeverAppearInWhatRefyAdds()
    {
        // "Hey", "missed" and "picked" appear in stock phrasings; "members" and "look" in the VIP ones.
        var brief = new CampaignBrief(AvoidWords: ["hey", "missed", "picked", "members", "look"]);
        for (var i = 0; i < 300; i++)
        {
            var result = _personalizer.Personalize(Request(RuleBasedPersonalizerTests.SampleProfile(i) with { Id = $"w{i}" }, new MessageContent("New season", "Fresh styles."), "Autumn", brief));

            Assert.Null(ContentGuardrails.FindBannedWord(Text(result), brief.Avoid));
        }
    }

    [Fact]
    public void AllowedFacts_OnlyThoseAreUsed()
    {
        var profile = Profile("f1", "Anna", city: "Lisbon", props: new()
        {
            ["loyalty_tier"] = "platinum",
            ["favorite_category"] = "Skincare",
            ["last_product_viewed"] = "Linen Shirt",
            ["days_since_last_order"] = "400",
        });

        var onlyCategory = _personalizer.Personalize(Request(profile, new MessageContent("New season", null), "Autumn", new CampaignBrief(AllowedFacts: [BriefFact.FavoriteCategory])));
        var none = _personalizer.Personalize(Request(profile, new MessageContent("New season", null), "Autumn", new CampaignBrief(AllowedFacts: [])));

        var text = Text(onlyCategory);
        Assert.Contains("skincare", text, StringComparison.OrdinalIgnoreCase);
        foreach (var forbidden in new[] { "Platinum", "Lisbon", "Linen Shirt", "400", "year" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(forbidden, Text(none), StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("skincare", Text(none), StringComparison.OrdinalIgnoreCase);
        // The name is no fact: Refly fills it in whatever the brief allows.
        Assert.Contains("Anna", Text(none), StringComparison.Ordinal);
    }

    [Fact]
    public void FormalTone_NoHeyNoExclamationMarks()
    {
        var brief = new CampaignBrief(Tone: "formal");
        for (var i = 0; i < 200; i++)
        {
            var result = _personalizer.Personalize(Request(RuleBasedPersonalizerTests.SampleProfile(i) with { Id = $"t{i}" }, new MessageContent("New season", "Fresh styles."), "Autumn", brief));

            Assert.DoesNotContain("Hey", Text(result), StringComparison.Ordinal);
            Assert.DoesNotContain("!", Text(result), StringComparison.Ordinal);
            Assert.DoesNotContain("Hi ", Text(result), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void PlayfulTone_GreetsCasually()
    {
        var result = _personalizer.Personalize(Request(Profile("p", "Anna", props: new() { ["favorite_category"] = "Shoes" }), new MessageContent("New season", null), "Autumn", new CampaignBrief(Tone: "playful")));

        Assert.Matches("^<p>(Hey|Hi) ", result.IntroHtml!);
    }

    [Theory]
    [InlineData("de")]
    [InlineData("de-AT")]
    [InlineData("fr")]
    public void NonEnglishLanguage_KeepsTheOriginal(string language)
    {
        var result = _personalizer.Personalize(Request(
            Profile("p", "Anna", props: new() { ["favorite_category"] = "Shoes" }), new MessageContent("Neue Kollektion", "Jetzt entdecken."), "Herbst", new CampaignBrief(Language: language)));

        Assert.Null(result.Subject);
        Assert.Null(result.PreviewText);
        Assert.Null(result.IntroHtml);
        Assert.Equal(ContentSource.Original, result.Source);
        Assert.Contains("English only", result.FallbackReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("en")]
    [InlineData("en-GB")]
    [InlineData(null)]
    public void EnglishOrNoLanguage_Personalizes(string? language)
    {
        var result = _personalizer.Personalize(Request(Profile("p", "Anna"), new MessageContent("New season", null), "Autumn", new CampaignBrief(Language: language)));

        Assert.NotNull(result.Subject);
        Assert.False(result.IsFallback);
    }

    [Theory]
    [InlineData("Early access for VIPs", null, null, CampaignKind.EarlyAccess)]
    [InlineData("Win back lapsed customers with 20% off", null, null, CampaignKind.WinBack)]
    [InlineData(null, "Black Friday", "30% off everything", CampaignKind.Sale)]
    [InlineData(null, "Monthly newsletter", "What we made in November", CampaignKind.Newsletter)]
    [InlineData("Win back our lapsed VIPs", "VIP preview", "Early access", CampaignKind.WinBack)]
    [InlineData("Our November news", "VIP preview", "Early access", CampaignKind.EarlyAccess)]
    public void CampaignKind_GoalFirstThenNameAndSubject(string? goal, string? name, string? subject, CampaignKind expected) =>
        Assert.Equal(expected, CampaignKinds.Classify(goal, name, subject));

    [Theory]
    [InlineData("Cheap thrills", "cheap", "cheap")]
    [InlineData("Much cheaper now", "cheap", null)]
    [InlineData("A LIMITED time", "limited time", "limited time")]
    [InlineData("Fish &amp; chips", "&", "&")]
    [InlineData("Nothing here", "", null)]
    public void FindBannedWord_MatchesWholeWordsCaseInsensitively(string text, string word, string? expected) =>
        Assert.Equal(expected, ContentGuardrails.FindBannedWord(text, [word]));

    private static int CountOf(string text, string phrase)
    {
        var count = 0;
        for (var at = text.IndexOf(phrase, StringComparison.OrdinalIgnoreCase); at >= 0; at = text.IndexOf(phrase, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            count++;
        }

        return count;
    }

    private static string Text(PersonalizedContent content) => string.Join(" | ", content.Subject, content.PreviewText, content.IntroHtml);

    private static PersonalizationRequest Request(KlaviyoProfile profile, MessageContent original, string campaignName, CampaignBrief brief) =>
        new(profile, "01HMSG0000000000000000000A", campaignName, original) { Brief = brief, BriefHash = brief.Hash() };

    private static KlaviyoProfile Profile(string id, string? firstName, string? city = null, Dictionary<string, string?>? props = null) =>
        new(id, $"{id}@example.com", firstName, null, city, null, null, props ?? new Dictionary<string, string?>());
}
