using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class SampleApprovalDraftRewriteTests
{
    private static SamplePreview Sample(string messageId, string factsHash, string subject) =>
        new("Ana", messageId, "Original", new PersonalizedContent(subject, "Preview", null) { Source = ContentSource.RuleBased })
        {
            Profile = new KlaviyoProfile("p-" + factsHash, "ana@example.com", "Ana", null, null, null, null, new Dictionary<string, string?>()),
            FactsHash = factsHash,
            FactsLabel = factsHash,
            GroupSize = 1,
            SampledContacts = 1,
        };

    [Fact]
    public void Rewritten_KeepsTheMarketersEditsOfTheSameGroup_TakesTheNewCopyElsewhere_AndIsNotApproved()
    {
        var draft = new SampleApprovalDraft([Sample("m1", "gold", "Old gold"), Sample("m1", "silver", "Old silver")]) { BriefHash = "b1" };
        Assert.Empty(draft.Edit(draft.Items[0], new EditableCopy("Gold, picked for you", "Preview", "Intro"), new MessageContent("Original", null)));
        draft.Approved = true;

        var rewritten = draft.Rewritten([Sample("m1", "gold", "New gold"), Sample("m1", "bronze", "New bronze")], "b2");

        Assert.Equal("b2", rewritten.BriefHash);
        Assert.False(rewritten.Approved);
        Assert.Equal("Gold, picked for you", rewritten.Items[0].Current.Subject);
        Assert.Equal(ApprovedCopyOrigin.Marketer, rewritten.Items[0].Origin);
        Assert.Equal("New bronze", rewritten.Items[1].Current.Subject);
        Assert.Null(rewritten.Items[1].Replacement);
    }
}
