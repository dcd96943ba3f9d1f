using System.Diagnostics;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class RuleBasedPersonalizerTests
{
    private static readonly MessageContent _original = new("Black Friday: 30% off everything", "Ends Sunday at midnight.");
    private readonly RuleBasedPersonalizer _personalizer = new();

    [Fact]
    public void Personalize_SameInput_GivesSameOutput()
    {
        var request = Request(Profile("p1", "Anna", city: "Berlin", props: new() { ["favorite_category"] = "Shoes" }));

        Assert.Equal(_personalizer.Personalize(request), _personalizer.Personalize(request));
        Assert.Equal(_personalizer.Personalize(request), new RuleBasedPersonalizer().Personalize(request));
    }

    [Fact]
    public void Personalize_ManyProfiles_GiveVariedContent()
    {
        var subjects = new HashSet<string>();
        var previews = new HashSet<string>();
        var intros = new HashSet<string>();
        for (var i = 0; i < 200; i++)
        {
            var result = _personalizer.Personalize(Request(SampleProfile(i)));
            subjects.Add(result.Subject!);
            previews.Add(result.PreviewText!);
            intros.Add(result.IntroHtml!);
        }

        Assert.True(subjects.Count >= 50, $"only {subjects.Count} distinct subjects");
        Assert.True(previews.Count >= 20, $"only {previews.Count} distinct previews");
        Assert.True(intros.Count >= 20, $"only {intros.Count} distinct intros");
    }

    [Fact]
    public void Personalize_SameProfileAcrossMessages_MayVaryButKeepsEachOriginal()
    {
        var profile = Profile("p-vary", "Anna");
        var seen = new HashSet<string>();
        for (var m = 0; m < 20; m++)
        {
            var result = _personalizer.Personalize(new PersonalizationRequest(profile, $"msg-{m}", "BF", _original));
            Assert.Contains(_original.Subject, result.Subject!, StringComparison.Ordinal);
            seen.Add(result.Subject!);
        }

        Assert.True(seen.Count >= 2);
    }

    [Theory]
    [InlineData(ContactSegment.Vip, "gold", null, null, null)]
    [InlineData(ContactSegment.Lapsed, null, "200", null, null)]
    [InlineData(ContactSegment.RecentBuyer, null, "3", null, null)]
    [InlineData(ContactSegment.Browser, null, null, "Trail Runner 2", null)]
    [InlineData(ContactSegment.CategoryFan, null, null, null, "Shoes")]
    [InlineData(ContactSegment.Unknown, "silver", "45", null, null)]
    public void Classify_PicksTheSegment(ContactSegment expected, string? tier, string? days, string? product, string? category)
    {
        var props = new Dictionary<string, string?>
        {
            ["loyalty_tier"] = tier,
            ["days_since_last_order"] = days,
            ["last_product_viewed"] = product,
            ["favorite_category"] = category,
        };

        Assert.Equal(expected, RuleBasedPersonalizer.Classify(Profile("p", "Anna", props: props)));
    }

    [Fact]
    public void Personalize_Segments_UseTheirOwnFacts()
    {
        var vip = _personalizer.Personalize(Request(Profile("v", "Anna", props: new() { ["loyalty_tier"] = "platinum" })));
        var browser = _personalizer.Personalize(Request(Profile("b", "Ben", props: new() { ["last_product_viewed"] = "Trail Runner 2" })));
        var lapsed = _personalizer.Personalize(Request(Profile("l", null, props: new() { ["days_since_last_order"] = "120" })));

        Assert.Contains("Platinum", vip.Subject + vip.PreviewText + vip.IntroHtml, StringComparison.Ordinal);
        Assert.Contains("Trail Runner 2", browser.Subject + browser.PreviewText + browser.IntroHtml, StringComparison.Ordinal);
        Assert.Matches("(missed|while|back|last order|changed|since)", lapsed.Subject + lapsed.PreviewText + lapsed.IntroHtml);
    }

    [Fact]
    public void Personalize_NothingKnown_FallsBackCleanly()
    {
        var result = _personalizer.Personalize(Request(new KlaviyoProfile("p0", null, null, null, null, null, null, new Dictionary<string, string?>())));

        Assert.False(result.IsFallback);
        Assert.Contains(_original.Subject, result.Subject!, StringComparison.Ordinal);
        Assert.DoesNotContain(",,", result.Subject!, StringComparison.Ordinal);
        Assert.DoesNotContain("  ", result.Subject!, StringComparison.Ordinal);
        Assert.StartsWith("<p>H", result.IntroHtml!, StringComparison.Ordinal);
        Assert.DoesNotContain("{", result.IntroHtml!, StringComparison.Ordinal);
    }

    [Fact]
    public void Personalize_EmptyOriginalSubject_KeepsTheOriginalSubject()
    {
        var result = _personalizer.Personalize(new PersonalizationRequest(Profile("p", "Anna"), "m", "c", new MessageContent("", null)));

        Assert.Null(result.Subject);
        Assert.NotNull(result.IntroHtml);
    }

    [Fact]
    public void Personalize_OriginalWithTemplateTags_KeepsTheOriginalSubject()
    {
        var result = _personalizer.Personalize(new PersonalizationRequest(
            Profile("p", "Anna"), "m", "c", new MessageContent("{{ first_name|default:'Hi' }}, 30% off", "{{ organization.name }}")));

        Assert.Null(result.Subject);
        Assert.False(ContentGuardrails.ContainsTemplateSyntax(result.PreviewText));
    }

    [Theory]
    [InlineData("{{ person.email }}")]
    [InlineData("{% if person.email %}x{% endif %}")]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("}} {{ organization.name")]
    public void Personalize_HostileProfileData_IsNeutralised(string hostile)
    {
        var props = new Dictionary<string, string?>
        {
            ["favorite_category"] = hostile,
            ["last_product_viewed"] = hostile,
            ["loyalty_tier"] = hostile,
        };
        for (var i = 0; i < 30; i++)
        {
            var profile = new KlaviyoProfile($"p{i}", "x@example.com", hostile, hostile, hostile, hostile, null, props);

            var result = _personalizer.Personalize(Request(profile));

            foreach (var field in new[] { result.Subject, result.PreviewText, result.IntroHtml })
            {
                Assert.False(ContentGuardrails.ContainsTemplateSyntax(field), field);
                Assert.DoesNotContain("<script", field ?? string.Empty, StringComparison.OrdinalIgnoreCase);
            }
        }
    }

    [Fact]
    public void Personalize_TemplateInFirstName_RendersLiterally()
    {
        var literalSubjects = 0;
        for (var i = 0; i < 20; i++)
        {
            var result = _personalizer.Personalize(Request(Profile($"p{i}", "{{ person.email }}")));

            Assert.False(ContentGuardrails.ContainsTemplateSyntax(result.Subject));
            var visibleSubject = result.Subject!.Replace(ContentGuardrails.TemplateBreak.ToString(), string.Empty, StringComparison.Ordinal);
            if (visibleSubject.Contains("{{ person.email }}", StringComparison.Ordinal))
            {
                literalSubjects++;
            }

            // Every greeting names the contact: the intro always shows the name, as character references.
            Assert.Contains("&#123;&#123; person.email &#125;&#125;", result.IntroHtml!, StringComparison.Ordinal);
        }

        Assert.True(literalSubjects > 0);
    }

    [Fact]
    public void Personalize_EmailOrDigitsAsFirstName_IsNotUsedAsAName()
    {
        var result = _personalizer.Personalize(Request(Profile("p1", "anna@example.com")));

        Assert.DoesNotContain("anna@", result.Subject + result.IntroHtml, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Personalize_LowercaseName_IsCapitalised()
    {
        var result = _personalizer.Personalize(Request(Profile("p1", "anna")));

        Assert.Contains("Anna", result.IntroHtml!, StringComparison.Ordinal);
    }

    [Fact]
    public void Personalize_OutputIsAlwaysWithinBounds()
    {
        var longOriginal = new MessageContent(new string('S', 149), new string('P', 199));
        var longValue = new string('x', 300);
        var profile = Profile("p", longValue, city: longValue, props: new() { ["last_product_viewed"] = longValue });

        for (var i = 0; i < 20; i++)
        {
            var result = _personalizer.Personalize(new PersonalizationRequest(profile with { Id = $"p{i}" }, "m", "c", longOriginal));
            Assert.True((result.Subject?.Length ?? 0) <= ContentGuardrails.MaxSubjectLength);
            Assert.True((result.PreviewText?.Length ?? 0) <= ContentGuardrails.MaxPreviewTextLength);
            Assert.True((result.IntroHtml?.Length ?? 0) <= ContentGuardrails.MaxIntroLength);
        }
    }

    [Fact]
    public async Task PersonalizeBatchAsync_ReturnsResultsInOrder()
    {
        IPersonalizer personalizer = _personalizer;
        var requests = Enumerable.Range(0, 10).Select(i => Request(SampleProfile(i))).ToArray();

        var results = await personalizer.PersonalizeBatchAsync(requests, CancellationToken.None);

        Assert.Equal(requests.Select(r => _personalizer.Personalize(r)), results);
    }

    internal static KlaviyoProfile SampleProfile(int i)
    {
        string[] names = ["Anna", "ben", "Chloé", "DMITRI", "", "Eve", "Fatima", "Gus"];
        string[] cities = ["Berlin", "paris", "", "Lisbon", "Austin"];
        string[] categories = ["Shoes", "outdoor gear", "", "Skincare", "LEGO"];
        string[] products = ["", "Trail Runner 2", "", "", "Linen Shirt"];
        string[] tiers = ["", "silver", "gold", "", "", "platinum"];
        string[] days = ["", "5", "45", "120", "400", ""];
        var props = new Dictionary<string, string?>
        {
            ["favorite_category"] = categories[i % categories.Length],
            ["last_product_viewed"] = products[i / 3 % products.Length],
            ["loyalty_tier"] = tiers[i / 7 % tiers.Length],
            ["days_since_last_order"] = days[i / 11 % days.Length],
        };
        return new KlaviyoProfile($"01PROFILE{i:D6}", $"c{i}@example.com", names[i % names.Length], null, cities[i % cities.Length], "DE", null, props);
    }

    private static PersonalizationRequest Request(KlaviyoProfile profile) =>
        new(profile, "01HMSG0000000000000000000A", "Black Friday 2026", _original);

    private static KlaviyoProfile Profile(string id, string? firstName, string? city = null, Dictionary<string, string?>? props = null) =>
        new(id, $"{id}@example.com", firstName, null, city, null, null, props ?? new Dictionary<string, string?>());
}
