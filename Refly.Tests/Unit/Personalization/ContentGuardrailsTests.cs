using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class ContentGuardrailsTests
{
    private static readonly MessageContent _original = new("Black Friday: 30% off at https://shop.example.com/bf", "Ends Sunday.");

    [Theory]
    [InlineData("{{ person.email }}")]
    [InlineData("{% if person.email %}x{% endif %}")]
    [InlineData("{# comment #}")]
    [InlineData("{{{ triple }}}")]
    [InlineData("{\u202E{ bidi }\u202C}")]
    public void ToSafeText_TemplateSyntax_IsNeutralised(string hostile)
    {
        var safe = ContentGuardrails.ToSafeText(hostile, ContentGuardrails.MaxSubjectLength);

        Assert.False(ContentGuardrails.ContainsTemplateSyntax(safe));
        // Renders literally: the visible characters are unchanged apart from the invisible break.
        Assert.Equal(Strip(hostile), safe.Replace(ContentGuardrails.TemplateBreak.ToString(), string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void ToSafeText_HtmlAndControlChars_AreRemoved()
    {
        var safe = ContentGuardrails.ToSafeText("<script>alert(1)</script>\r\n\tHi\u0000  there\u0007", 150);

        Assert.Equal("‹script›alert(1)‹/script› Hi there", safe);
        Assert.False(ContentGuardrails.ContainsHtmlTag(safe));
    }

    [Fact]
    public void ToSafeText_CleanText_IsReturnedAsIs()
    {
        const string text = "Anna, Black Friday: 30% off — today only";
        Assert.Same(text, ContentGuardrails.ToSafeText(text, 150));
    }

    [Fact]
    public void ToSafeText_TooLong_IsCutAtAWordWithEllipsis()
    {
        var text = string.Join(' ', Enumerable.Repeat("word", 60));

        var safe = ContentGuardrails.ToSafeText(text, ContentGuardrails.MaxSubjectLength);

        Assert.True(safe.Length <= ContentGuardrails.MaxSubjectLength);
        Assert.EndsWith("word…", safe, StringComparison.Ordinal);
    }

    [Fact]
    public void ToSafeText_CutNeverSplitsASurrogatePair()
    {
        var text = new string('a', 148) + "😀😀😀";

        var safe = ContentGuardrails.ToSafeText(text, 150);

        Assert.True(safe.Length <= 150);
        Assert.False(char.IsHighSurrogate(safe[^2]) && !char.IsLowSurrogate(safe[^1]));
        foreach (var (c, i) in safe.Select((c, i) => (c, i)))
        {
            if (char.IsHighSurrogate(c))
            {
                Assert.True(i + 1 < safe.Length && char.IsLowSurrogate(safe[i + 1]));
            }
        }
    }

    [Fact]
    public void ToSafeHtml_EscapesMarkupAndBraces()
    {
        var safe = ContentGuardrails.ToSafeHtml("<b>\"Tom\" & 'Jerry'</b> {{ person.email }} {% if %}", 500);

        Assert.Equal("&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt; &#123;&#123; person.email &#125;&#125; &#123;% if %&#125;", safe);
        Assert.False(ContentGuardrails.ContainsTemplateSyntax(safe));
        Assert.False(ContentGuardrails.ContainsHtmlTag(safe));
    }

    [Fact]
    public void ToSafeHtml_CutNeverSplitsACharacterReference()
    {
        var safe = ContentGuardrails.ToSafeHtml(new string('a', 10) + "&&&&&&&&&&", 20);

        Assert.True(safe.Length <= 20);
        Assert.Matches("^a{10}(&amp;)*…$", safe);
    }

    [Fact]
    public void ToSafeText_AmpersandNearTheCut_IsKept()
    {
        var safe = ContentGuardrails.ToSafeText("Tom & Jerry are back", 14);

        Assert.Equal("Tom & Jerry…", safe);
    }

    [Fact]
    public void ToSafeHtmlParagraph_IsBoundedAndWrapped()
    {
        var safe = ContentGuardrails.ToSafeHtmlParagraph(new string('<', 2000));

        Assert.StartsWith("<p>", safe, StringComparison.Ordinal);
        Assert.EndsWith("</p>", safe, StringComparison.Ordinal);
        Assert.True(safe.Length <= ContentGuardrails.MaxIntroLength);
        Assert.Equal(string.Empty, ContentGuardrails.ToSafeHtmlParagraph("  \r\n "));
    }

    [Fact]
    public void SanitizeProfileValue_StripsControlAndBidiCollapsesAndCuts()
    {
        Assert.Equal("Anna Maria", ContentGuardrails.SanitizeProfileValue("  Anna\u202E\n\n Maria\u0000 "));
        Assert.Equal(string.Empty, ContentGuardrails.SanitizeProfileValue(" \t "));
        Assert.Equal(string.Empty, ContentGuardrails.SanitizeProfileValue(null));
        Assert.True(ContentGuardrails.SanitizeProfileValue(new string('x', 500)).Length <= ContentGuardrails.MaxProfileValueLength);
    }

    [Theory]
    [InlineData("Hello {{ first_name }}", true)]
    [InlineData("Hello {% if x %}", true)]
    [InlineData("closing }} only", true)]
    [InlineData("closing %} only", true)]
    [InlineData("{# c #}", true)]
    [InlineData("Save {20} % today", false)]
    [InlineData("Save {20%} today", true)]
    [InlineData("{ spaced }", false)]
    [InlineData(null, false)]
    public void ContainsTemplateSyntax_DetectsDelimiters(string? text, bool expected) =>
        Assert.Equal(expected, ContentGuardrails.ContainsTemplateSyntax(text));

    [Theory]
    [InlineData("a <b>bold</b> move", true)]
    [InlineData("</p>", true)]
    [InlineData("<!-- c -->", true)]
    [InlineData("3 < 4 and 5 > 2", false)]
    [InlineData("<3 you", false)]
    public void ContainsHtmlTag_DetectsTags(string text, bool expected) =>
        Assert.Equal(expected, ContentGuardrails.ContainsHtmlTag(text));

    [Fact]
    public void FindUrls_FindsSchemesAndWww_WithoutTrailingPunctuation()
    {
        var urls = ContentGuardrails.FindUrls("See https://a.example/x, www.b.example. or mailto:me@c.example! not.a.link");

        Assert.Equal(["https://a.example/x", "www.b.example", "mailto:me@c.example"], urls);
    }

    [Fact]
    public void Validate_CleanContent_HasNoViolations()
    {
        var v = ContentGuardrails.Validate("Anna, 30% off", "Ends Sunday.", "Hi Anna, it's on.", _original);
        Assert.Equal(ContentViolations.None, v);
    }

    [Fact]
    public void Validate_UrlFromOriginal_IsAllowed_NewUrl_IsNot()
    {
        Assert.Equal(
            ContentViolations.None,
            ContentGuardrails.Validate("Shop at https://shop.example.com/bf", null, null, _original));
        Assert.Equal(
            ContentViolations.UnknownUrl,
            ContentGuardrails.Validate("Shop", null, "Click https://evil.example/phish", _original));
    }

    [Fact]
    public void Validate_ReportsEveryViolation()
    {
        var v = ContentGuardrails.Validate(" ", new string('x', 201), "<b>{{ person.email }}</b>", _original);

        Assert.Equal(
            ContentViolations.MissingSubject | ContentViolations.TooLong | ContentViolations.TemplateSyntax | ContentViolations.HtmlTag,
            v);
    }

    private static string Strip(string s) => new(s.Where(c => c is not ('\u202E' or '\u202C')).ToArray());
}
