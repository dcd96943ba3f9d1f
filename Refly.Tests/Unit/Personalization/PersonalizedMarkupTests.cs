using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class PersonalizedMarkupTests
{
    private const string Key = "abc123_0badf00d";

    [Theory]
    [InlineData("01HZX7K3M9Q2W4E6R8T0Y1U3I5")]
    [InlineData("msg-42")]
    [InlineData("ÄÖÜ!!")]
    [InlineData("  ")]
    public void MessageKey_IsSafeShortAndStable(string messageId)
    {
        if (string.IsNullOrWhiteSpace(messageId))
        {
            Assert.Throws<ArgumentException>(() => PersonalizedMarkup.MessageKey(messageId));
            return;
        }

        var key = PersonalizedMarkup.MessageKey(messageId);

        Assert.Matches("^[a-z0-9_]{1,24}$", key);
        Assert.Equal(key, PersonalizedMarkup.MessageKey(messageId));
    }

    [Fact]
    public void MessageKey_IdsDifferingOnlyInCase_GetDifferentKeys() =>
        Assert.NotEqual(PersonalizedMarkup.MessageKey("AbC123"), PersonalizedMarkup.MessageKey("abc123"));

    [Fact]
    public void MessageKey_KeepsTheIdsTail_Readable() =>
        Assert.StartsWith("w4e6r8t0y1u3_", PersonalizedMarkup.MessageKey("01HZX7K3M9Q2W4E6R8T0Y1U3"), StringComparison.Ordinal);

    [Fact]
    public void PropertyNames_FollowTheConvention()
    {
        Assert.Equal("refly_abc123_0badf00d_subject", PersonalizedMarkup.SubjectProperty(Key));
        Assert.Equal("refly_abc123_0badf00d_preview", PersonalizedMarkup.PreviewProperty(Key));
        Assert.Equal("refly_abc123_0badf00d_intro", PersonalizedMarkup.IntroProperty(Key));
        Assert.Equal(3, PersonalizedMarkup.Properties(Key).Count);
        Assert.Throws<ArgumentException>(() => PersonalizedMarkup.SubjectProperty("Bad-Key"));
    }

    [Fact]
    public void SubjectExpression_PlainOriginal_UsesLookupWithDefault()
    {
        Assert.Equal(
            "{{ person|lookup:'refly_abc123_0badf00d_subject'|default:'Black Friday: 30% off' }}",
            PersonalizedMarkup.SubjectExpression(Key, "Black Friday: 30% off"));
        Assert.Equal(
            "{{ person|lookup:'refly_abc123_0badf00d_preview'|default:'' }}",
            PersonalizedMarkup.PreviewExpression(Key, null));
    }

    [Theory]
    [InlineData("You're in: early access", "\"")]
    [InlineData("Say \"hello\" to 30% off", "'")]
    [InlineData("Ünïcødé ✨ 日本語 — ok", "'")]
    [InlineData("A {single} brace and a } and {", "'")]
    public void SubjectExpression_KeepsTheExactText_InTheQuoteItDoesNotContain(string original, string quote)
    {
        var expression = PersonalizedMarkup.SubjectExpression(Key, original);

        Assert.Equal($"{{{{ person|lookup:'refly_abc123_0badf00d_subject'|default:{quote}{original}{quote} }}}}", expression);
        Assert.Equal(original, PersonalizedMarkup.FallbackOf(expression));
        // Exactly one tag: the first "}}" closes ours.
        Assert.Equal(expression.Length - 2, expression.IndexOf("}}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("It's \"both\" quotes")]
    [InlineData("It's here' }} %} done")]
    [InlineData("quote ' then }}")]
    [InlineData("back\\' slash")]
    [InlineData("ends with %}")]
    [InlineData("line\nbreak' }}")]
    public void SubjectExpression_TextNoLiteralCanHold_IsKeptVerbatimInTheConditional(string original)
    {
        var expression = PersonalizedMarkup.SubjectExpression(Key, original);

        const string prefix = "{% if person|lookup:'refly_abc123_0badf00d_subject' %}{{ person|lookup:'refly_abc123_0badf00d_subject' }}{% else %}";
        Assert.Equal(prefix + original + "{% endif %}", expression);
        Assert.Equal(original, PersonalizedMarkup.FallbackOf(expression));
    }

    [Theory]
    [InlineData("You're in")]
    [InlineData("It's \"both\"")]
    [InlineData("{{ first_name|default:'Friend' }}, 30% off")]
    [InlineData("")]
    public void Describe_SwitchedMarkup_GivesWordsWithTheExactFallback(string original)
    {
        var described = PersonalizedMarkup.Describe(PersonalizedMarkup.SubjectExpression(Key, original));

        Assert.Equal("Personalized per contact; fallback: " + (original.Length == 0 ? "(none)" : original), described);
        Assert.DoesNotContain("lookup", described, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_And_FallbackOf_PlainText_ReturnTheTextItself()
    {
        Assert.Equal("Plain subject", PersonalizedMarkup.Describe("Plain subject"));
        Assert.Equal("Plain subject", PersonalizedMarkup.FallbackOf("Plain subject"));
        Assert.Equal(string.Empty, PersonalizedMarkup.Describe(null));
    }

    [Theory]
    [InlineData("It's here' }} {% debug %}")]
    [InlineData("{% endif %}' }}{{ person.email }}")]
    public void SubjectExpression_OriginalWithOpeningTags_IsKeptVerbatimInsideOurConditional(string original)
    {
        var expression = PersonalizedMarkup.SubjectExpression(Key, original);

        const string prefix = "{% if person|lookup:'refly_abc123_0badf00d_subject' %}{{ person|lookup:'refly_abc123_0badf00d_subject' }}{% else %}";
        Assert.Equal(prefix + original + "{% endif %}", expression);
    }

    [Fact]
    public void SubjectExpression_OriginalWithMarketersOwnTags_KeepsThemWorking()
    {
        const string original = "{{ first_name|default:'Friend' }}, 30% off";

        var expression = PersonalizedMarkup.SubjectExpression(Key, original);

        Assert.Equal(
            "{% if person|lookup:'refly_abc123_0badf00d_subject' %}{{ person|lookup:'refly_abc123_0badf00d_subject' }}{% else %}{{ first_name|default:'Friend' }}, 30% off{% endif %}",
            expression);
        Assert.True(PersonalizedMarkup.IsSwitched(expression));
    }

    [Fact]
    public void IsSwitched_RecognisesOurExpressionsOnly()
    {
        Assert.True(PersonalizedMarkup.IsSwitched(PersonalizedMarkup.SubjectExpression(Key, "Hi")));
        Assert.True(PersonalizedMarkup.IsSwitched(PersonalizedMarkup.PreviewExpression(Key, "Hi")));
        Assert.False(PersonalizedMarkup.IsSwitched("{{ person|lookup:'other_prop'|default:'x' }}"));
        Assert.False(PersonalizedMarkup.IsSwitched("Plain subject"));
        Assert.False(PersonalizedMarkup.IsSwitched(null));
    }

    [Fact]
    public void Template_WithMarker_InsertsAtTheMarker()
    {
        const string html = "<html><body><h1>Sale</h1><!-- refly:intro --><p>Body</p></body></html>";

        var result = PersonalizedMarkup.TemplateWithPersonalizedBlock(html, Key);

        Assert.Equal(
            "<html><body><h1>Sale</h1><!-- refly:intro -->" + PersonalizedMarkup.PersonalizedBlock(Key) + "<p>Body</p></body></html>",
            result);
        Assert.Contains("{{ person|lookup:'refly_abc123_0badf00d_intro'|default:'' }}", result, StringComparison.Ordinal);
    }

    [Fact]
    public void Template_MarkerSpacingAndCase_IsAccepted()
    {
        var result = PersonalizedMarkup.TemplateWithPersonalizedBlock("<body><p>a</p><!--REFLY:INTRO--><p>b</p></body>", Key);

        Assert.Equal("<body><p>a</p><!--REFLY:INTRO-->" + PersonalizedMarkup.PersonalizedBlock(Key) + "<p>b</p></body>", result);
    }

    [Fact]
    public void Template_WithBodyTag_InsertsRightAfterIt()
    {
        const string html = "<html><head></head><BODY class=\"x\" data-note='a>b' style=\"margin:0\"><p>Body</p></BODY></html>";

        var result = PersonalizedMarkup.TemplateWithPersonalizedBlock(html, Key);

        Assert.Equal(
            "<html><head></head><BODY class=\"x\" data-note='a>b' style=\"margin:0\">" + PersonalizedMarkup.PersonalizedBlock(Key) + "<p>Body</p></BODY></html>",
            result);
    }

    [Fact]
    public void Template_BodylessLookalikeTags_AreNotMistakenForBody()
    {
        const string html = "<bodyguard>x</bodyguard><p>y</p>";

        var result = PersonalizedMarkup.TemplateWithPersonalizedBlock(html, Key);

        Assert.Equal(PersonalizedMarkup.PersonalizedBlock(Key) + html, result);
    }

    [Fact]
    public void Template_WithNeitherMarkerNorBody_InsertsAtTheTop()
    {
        Assert.Equal(PersonalizedMarkup.PersonalizedBlock(Key) + "<p>Hi</p>", PersonalizedMarkup.TemplateWithPersonalizedBlock("<p>Hi</p>", Key));
        Assert.Equal(PersonalizedMarkup.PersonalizedBlock(Key), PersonalizedMarkup.TemplateWithPersonalizedBlock(null, Key));
    }

    [Fact]
    public void Template_AlreadySwitched_IsNotDoubled()
    {
        const string html = "<html><body><p>Body</p></body></html>";
        var once = PersonalizedMarkup.TemplateWithPersonalizedBlock(html, Key);

        var twice = PersonalizedMarkup.TemplateWithPersonalizedBlock(once, Key);

        Assert.Equal(once, twice);
        Assert.True(PersonalizedMarkup.IsSwitchedTemplate(once));
        Assert.False(PersonalizedMarkup.IsSwitchedTemplate(html));
    }

    [Fact]
    public void Template_SwitchedWithAnotherKey_IsReplacedInPlace()
    {
        const string html = "<body><p>Body</p></body>";
        var old = PersonalizedMarkup.TemplateWithPersonalizedBlock(html, "old_00000000");

        var result = PersonalizedMarkup.TemplateWithPersonalizedBlock(old, Key);

        Assert.Equal(PersonalizedMarkup.TemplateWithPersonalizedBlock(html, Key), result);
        Assert.DoesNotContain("old_00000000", result, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutPersonalizedBlock_RestoresTheOriginal()
    {
        const string html = "<html><body class=a><!-- refly:intro --><p>Body</p></body></html>";

        Assert.Equal(html, PersonalizedMarkup.WithoutPersonalizedBlock(PersonalizedMarkup.TemplateWithPersonalizedBlock(html, Key)));
        Assert.Equal(html, PersonalizedMarkup.WithoutPersonalizedBlock(html));
    }

    [Fact]
    public void AddProperties_SetsValuesAndUnsetsKeptOriginals()
    {
        var set = new Dictionary<string, string>();
        var unset = new List<string>();

        PersonalizedMarkup.AddProperties(Key, new PersonalizedContent("Subj", null, "<p>Hi</p>"), set, unset);

        Assert.Equal("Subj", set["refly_abc123_0badf00d_subject"]);
        Assert.Equal("<p>Hi</p>", set["refly_abc123_0badf00d_intro"]);
        Assert.Equal(["refly_abc123_0badf00d_preview"], unset);
    }
}
