using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class CampaignBriefValidatorTests
{
    private readonly CampaignBriefValidator _validator = new();

    [Fact]
    public void DefaultAndAFullBrief_AreValid()
    {
        Assert.True(_validator.Validate(CampaignBrief.Default).IsValid);
        var full = new CampaignBrief("Early access for VIPs: 30% off everything", "warm", ["cheap", "free shipping"], [BriefFact.LoyaltyTier, BriefFact.Location], "de-AT");
        var result = _validator.Validate(full);
        Assert.True(result.IsValid, string.Join(" ", result.Errors.Select(e => e.ErrorMessage)));
    }

    [Theory]
    [InlineData("Goal")]
    [InlineData("Tone")]
    public void TooLong_IsRefusedOnItsField(string field)
    {
        var brief = field == "Goal"
            ? new CampaignBrief(Goal: new string('a', CampaignBriefValidator.MaxGoalLength + 1))
            : new CampaignBrief(Tone: new string('a', CampaignBriefValidator.MaxToneLength + 1));

        var error = Assert.Single(_validator.Validate(brief).Errors);
        Assert.Equal(field, error.PropertyName);
        Assert.Equal(CampaignBriefValidator.ErrorCode, error.ErrorCode);
    }

    [Fact]
    public void GoalWithTemplateSyntax_IsRefused() =>
        Assert.Equal("Goal", Assert.Single(_validator.Validate(new CampaignBrief(Goal: "Hi {{ first_name }}")).Errors).PropertyName);

    [Fact]
    public void WordsToAvoid_BlankTooLongOrTooMany_AreRefused()
    {
        var blank = _validator.Validate(new CampaignBrief(AvoidWords: ["ok", " "]));
        var tooLong = _validator.Validate(new CampaignBrief(AvoidWords: [new string('w', CampaignBriefValidator.MaxAvoidWordLength + 1)]));
        var tooMany = _validator.Validate(new CampaignBrief(AvoidWords: Enumerable.Range(0, CampaignBriefValidator.MaxAvoidWords + 1).Select(i => $"w{i}").ToList()));

        Assert.Contains(blank.Errors, e => e.PropertyName.StartsWith("AvoidWords", StringComparison.Ordinal) && e.ErrorMessage.Contains("blank", StringComparison.Ordinal));
        Assert.Contains(tooLong.Errors, e => e.PropertyName.StartsWith("AvoidWords", StringComparison.Ordinal));
        Assert.Contains(tooMany.Errors, e => e.PropertyName == "AvoidWords" && e.ErrorMessage.Contains("At most", StringComparison.Ordinal));
    }

    [Fact]
    public void UnknownOrRepeatedFact_IsRefused()
    {
        var unknown = _validator.Validate(new CampaignBrief(AllowedFacts: [(BriefFact)42]));
        var twice = _validator.Validate(new CampaignBrief(AllowedFacts: [BriefFact.Location, BriefFact.Location]));

        Assert.Contains("no known fact", Assert.Single(unknown.Errors).ErrorMessage, StringComparison.Ordinal);
        Assert.Equal("AllowedFacts", Assert.Single(twice.Errors).PropertyName);
    }

    [Theory]
    [InlineData("en", true)]
    [InlineData("de", true)]
    [InlineData("DE-at", true)]
    [InlineData("pt-BR", true)]
    [InlineData("klingon", false)]
    [InlineData("xx", false)]
    [InlineData("de_DE", false)]
    [InlineData("", false)]
    public void Language_MustBeAKnownTag(string language, bool valid)
    {
        var result = _validator.Validate(new CampaignBrief(Language: language));

        Assert.Equal(valid, result.IsValid);
        if (!valid)
        {
            Assert.Equal("Language", Assert.Single(result.Errors).PropertyName);
        }
    }

    [Fact]
    public void Normalize_TrimsDropsBlanksAndRepeatedWords()
    {
        var normalized = CampaignBriefStore.Normalize(new CampaignBrief("  Goal ", " ", [" cheap ", "Cheap", ""], null, " de "));

        Assert.Equal("Goal", normalized.Goal);
        Assert.Null(normalized.Tone);
        Assert.Equal(["cheap"], normalized.Avoid);
        Assert.Equal("de", normalized.Language);
    }

    [Fact]
    public void Json_RoundTripsAndEqualBriefsHashAlike()
    {
        var brief = new CampaignBrief("Goal", "warm", ["cheap"], [BriefFact.OrderRecency], "en");
        var json = CampaignBriefJson.Serialize(brief);

        Assert.Contains("\"OrderRecency\"", json, StringComparison.Ordinal);
        var back = CampaignBriefJson.Deserialize(json);
        Assert.Equal(brief.Hash(), back.Hash());
        Assert.Equal(CampaignBrief.Default, CampaignBriefJson.Deserialize("not json"));
    }
}
