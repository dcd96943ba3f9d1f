using AngleSharp.Dom;
using Bunit;
using FluentValidation.Results;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Personalization;

namespace Refly.Tests.Components;

public sealed class CampaignBriefEditorTests : MudTestContext
{
    private CampaignBrief? _changed;

    public CampaignBriefEditorTests() => Render<MudBlazor.MudPopoverProvider>();

    private IRenderedComponent<CampaignBriefEditor> RenderEditor(CampaignBrief brief, IReadOnlyList<ValidationFailure>? errors = null) =>
        Render<CampaignBriefEditor>(p => p
            .Add(e => e.Value, brief)
            .Add(e => e.ValueChanged, b => _changed = b)
            .Add(e => e.Errors, errors ?? []));

    [Fact]
    public void SavedBrief_IsShown_WordsAsChips_FactsChecked()
    {
        var editor = RenderEditor(new CampaignBrief("Early access", "warm", ["cheap", "hurry"], [BriefFact.LoyaltyTier], "de"));

        Assert.Equal(["cheap", "hurry"], editor.FindAll("[data-testid='brief-avoid-chip']").Select(c => c.TextContent.Trim()));
        Assert.True(editor.Find("input[data-testid='brief-fact-LoyaltyTier']").IsChecked());
        Assert.False(editor.Find("input[data-testid='brief-fact-Location']").IsChecked());
        Assert.Equal("Early access", editor.Find("input[data-testid='brief-goal']").GetAttribute("value"));
    }

    [Fact]
    public void AddingAWord_AddsAChipAndReportsTheBrief()
    {
        var editor = RenderEditor(CampaignBrief.Default);

        editor.Find("input[data-testid='brief-avoid-input']").Input("free shipping");
        editor.Find("[data-testid='brief-avoid-add']").Click();

        Assert.Equal(["free shipping"], _changed!.Avoid);
        Assert.Equal("free shipping", editor.Find("[data-testid='brief-avoid-chip']").TextContent.Trim());
    }

    [Fact]
    public void UncheckingAFact_AllowsAllTheOthers_CheckingItAgainIsTheDefault()
    {
        var editor = RenderEditor(CampaignBrief.Default);

        editor.Find("input[data-testid='brief-fact-Location']").Change(false);
        Assert.Equal(Enum.GetValues<BriefFact>().Where(f => f != BriefFact.Location), _changed!.AllowedFacts!);

        editor.Find("input[data-testid='brief-fact-Location']").Change(true);
        Assert.Null(_changed!.AllowedFacts);
    }

    [Fact]
    public void InvalidField_ShowsItsErrorBesideIt()
    {
        var editor = RenderEditor(new CampaignBrief(Goal: new string('g', CampaignBriefValidator.MaxGoalLength + 1)));

        Assert.Equal("true", editor.Find("input[data-testid='brief-goal']").GetAttribute("aria-invalid"));
        Assert.Contains($"at most {CampaignBriefValidator.MaxGoalLength} characters", editor.Find("[data-testid='brief-editor']").TextContent, StringComparison.Ordinal);
        Assert.False(editor.Instance.IsValid);
    }

    [Fact]
    public void ErrorsFromTheStart_AreShownBesideTheirField()
    {
        var editor = RenderEditor(CampaignBrief.Default, [new ValidationFailure("Brief.Language", "That language is not offered.") { ErrorCode = StartRunErrors.InvalidBrief }]);

        Assert.Contains("That language is not offered.", editor.Find("[data-testid='brief-editor']").TextContent, StringComparison.Ordinal);
    }
}
