using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization.Approval;

/// <summary>Approved copy: the first-name placeholder, the rules an edit meets, and what a group then receives.</summary>
public sealed class ApprovedCopyTests
{
    private static readonly MessageContent _original = new("Early access: 30% off", "Members shop first.");

    [Theory]
    [InlineData("Leila, first look for Gold members", "Leila", "{first_name}, first look for Gold members")]
    [InlineData("Hi Leila, the LeilaBag is back", "Leila", "Hi {first_name}, the LeilaBag is back")]
    [InlineData("No name here", "Leila", "No name here")]
    [InlineData("Anything", "", "Anything")]
    public void Abstract_ReplacesTheWholeWordName(string text, string name, string expected) =>
        Assert.Equal(expected, FirstNameToken.Abstract(text, name));

    [Theory]
    [InlineData("{first_name}, first look for Gold members", "Ana", "Ana, first look for Gold members")]
    [InlineData("{first_name}, first look for Gold members", "", "First look for Gold members")]
    [InlineData("Hi {first_name}, welcome back.", "", "Hi there, welcome back.")]
    [InlineData("Picked for you, {first_name}.", "", "Picked for you.")]
    [InlineData("Welcome back, {first_name}: new in", "", "Welcome back: new in")]
    public void Fill_PutsTheNameInOrWritesAroundIt(string text, string name, string expected) =>
        Assert.Equal(expected, FirstNameToken.Fill(text, name));

    [Fact]
    public void ToEditable_TakesTheSampleContactsNameOut_AndTheIntroAsPlainText()
    {
        var content = new PersonalizedContent("Leila, your Gold preview", "Leila's picks", "<p>Hi Leila, the &quot;Aurora&quot; coat &amp; more.</p>");

        var editable = SampleApproval.ToEditable(content, Profile("p1", "leila"));

        Assert.Equal("{first_name}, your Gold preview", editable.Subject);
        Assert.Equal("{first_name}'s picks", editable.PreviewText);
        Assert.Equal("Hi {first_name}, the \"Aurora\" coat & more.", editable.Intro);
    }

    [Fact]
    public void Validate_AcceptsPlainCopyWithThePlaceholder_AndTheMarketersOwnNumbers() =>
        Assert.Empty(SampleApproval.Validate(new EditableCopy("{first_name}, 40% off for you", "", "Hi {first_name}, it is all inside."), _original));

    [Theory]
    [InlineData("", "", "", SampleApproval.SubjectField, "Write a subject")]
    [InlineData("Hello {{ first_name }}", "", "", SampleApproval.SubjectField, "template tags")]
    [InlineData("Hello {name}", "", "", SampleApproval.SubjectField, "template tags")]
    [InlineData("Fine", "<b>bold</b>", "", SampleApproval.PreviewTextField, "no HTML")]
    [InlineData("Fine", "", "See https://evil.example/x", SampleApproval.IntroField, "No links")]
    public void Validate_NamesTheFieldAndTheRule(string subject, string preview, string intro, string field, string words)
    {
        var errors = SampleApproval.Validate(new EditableCopy(subject, preview, intro), _original);

        Assert.Single(errors);
        Assert.Contains(words, errors[field], StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_CountsThePlaceholderAsAName_AgainstTheSubjectLength()
    {
        var errors = SampleApproval.Validate(new EditableCopy("{first_name} " + new string('a', 141), "", ""), _original);

        Assert.Contains("At most 150 characters (151 now", errors[SampleApproval.SubjectField], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Personalizer_GivesTheGroupItsApprovedCopy_AndEveryoneElseTheInnerPersonalizers()
    {
        var gold = Profile("p1", "ana", tier: "Gold");
        var goldToo = Profile("p2", null, tier: "gold");
        var silver = Profile("p3", "Bo", tier: "Silver");
        var copy = Copy("m1", ContactFacts.From(gold).Hash, "{first_name}, the Gold edit", intro: "Hi {first_name}, <your> perks.");
        var inner = new RuleBasedPersonalizer();
        var personalizer = ApprovedCopyPersonalizer.Wrap(inner, [copy]);

        var results = await personalizer.PersonalizeBatchAsync([Request(gold, "m1"), Request(silver, "m1"), Request(goldToo, "m1"), Request(gold, "m2")], CancellationToken.None);

        Assert.Equal("Ana, the Gold edit", results[0].Subject);
        Assert.Equal("<p>Hi Ana, &lt;your&gt; perks.</p>", results[0].IntroHtml);
        Assert.Null(results[0].PreviewText);
        Assert.Equal(ContentSource.Marketer, results[0].Source);
        Assert.Equal(inner.Personalize(Request(silver, "m1")), results[1]);
        Assert.Equal("The Gold edit", results[2].Subject);
        Assert.Equal(inner.Personalize(Request(gold, "m2")), results[3]);
        Assert.Equal(2, ((ApprovedCopyPersonalizer)personalizer).ApprovedContacts);
    }

    [Fact]
    public async Task Personalizer_IgnoresCopyApprovedForAnOriginalThatChangedSince()
    {
        var gold = Profile("p1", "Ana", tier: "Gold");
        var copy = Copy("m1", ContactFacts.From(gold).Hash, "Old approval");
        var inner = new RuleBasedPersonalizer();
        var changed = new PersonalizationRequest(gold, "m1", "Autumn", _original with { Subject = "Early access: 40% off" });

        var result = await ApprovedCopyPersonalizer.Wrap(inner, [copy]).PersonalizeAsync(changed, CancellationToken.None);

        Assert.Equal(inner.Personalize(changed), result);
    }

    [Fact]
    public void RuleBased_Variant_WritesOtherCopyThanTheFirstTime_Deterministically()
    {
        var personalizer = new RuleBasedPersonalizer();
        var request = Request(Profile("p1", "Ana", tier: "Gold"), "m1");
        var first = personalizer.Personalize(request);

        var variants = Enumerable.Range(1, 6).Select(v => personalizer.Personalize(request with { Variant = v })).ToList();

        Assert.Contains(variants, v => v != first);
        Assert.Equal(variants[0], personalizer.Personalize(request with { Variant = 1 }));
    }

    private static ApprovedCopy Copy(string messageId, string factsHash, string subject, string preview = "", string intro = "") => new()
    {
        CampaignKlaviyoId = "c1",
        MessageId = messageId,
        FactsHash = factsHash,
        Subject = subject,
        PreviewText = preview,
        Intro = intro,
        Origin = ApprovedCopyOrigin.Marketer,
        OriginalHash = ApprovedCopyStore.OriginalHashOf(_original),
    };

    private static PersonalizationRequest Request(KlaviyoProfile profile, string messageId) => new(profile, messageId, "Autumn", _original);

    private static KlaviyoProfile Profile(string id, string? firstName, string tier = "Gold") =>
        new(id, $"{id}@example.com", firstName, null, "Porto", "Portugal", null, new Dictionary<string, string?> { ["loyalty_tier"] = tier });
}
