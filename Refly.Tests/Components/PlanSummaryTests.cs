using Bunit;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Planning;

namespace Refly.Tests.Components;

/// <summary>The Personalize modal's plan, and the run details' personalization section.</summary>
public sealed class PlanSummaryTests : MudTestContext
{
    private static readonly PlanChoices _choices = new(
        [
            new PersonalizerEstimate(PersonalizerNames.Hybrid, TimeSpan.FromMinutes(9), 120, 144_000, 190_000, 0.12m, 0.375, 1, true, 5_000, true),
            new PersonalizerEstimate(PersonalizerNames.Llm, TimeSpan.FromMinutes(20), 120, 144_000, 190_000, 0.12m, 0.42, 0.42, false, 5_000, true),
            new PersonalizerEstimate(PersonalizerNames.RuleBased, TimeSpan.FromMinutes(3), 0, 0, 0, null, 0, 1, true, 0, true),
        ],
        PersonalizerNames.Hybrid,
        new FactGroupEstimate(100, 60, 5_000));

    [Fact]
    public void Default_IsHybrid_SayingWhatTheModelCoversBeforeTheLock()
    {
        var summary = Render<PlanSummary>(p => p.Add(s => s.Choices, _choices).Add(s => s.HasDeadline, true));

        Assert.Equal("The model will cover 37% before the lock; the rest gets rule-based copy.", summary.Find("[data-testid='plan-coverage']").TextContent);
        Assert.Equal("about 9 min", summary.Find("[data-testid='plan-duration']").TextContent);
        Assert.Equal("120", summary.Find("[data-testid='plan-calls']").TextContent);
        Assert.Equal("144,000 / 190,000", summary.Find("[data-testid='plan-tokens']").TextContent.Trim());
        Assert.Equal("0.12", summary.Find("[data-testid='plan-cost']").TextContent);
        Assert.Contains("(recommended)", Option(summary, "Hybrid").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("(recommended)", Option(summary, "Rule-based").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void ChoosingRuleBased_ShowsItsEstimate_WithoutModelFigures_AndReportsTheChoice()
    {
        string? chosen = null;
        var summary = Render<PlanSummary>(p => p
            .Add(s => s.Choices, _choices)
            .Add(s => s.HasDeadline, true)
            .Add(s => s.Personalizer, PersonalizerNames.Hybrid)
            .Add(s => s.PersonalizerChanged, v => chosen = v));

        Option(summary, "Rule-based").QuerySelector("input[type='radio']")!.Click();
        summary.WaitForAssertion(() => Assert.Equal(PersonalizerNames.RuleBased, chosen));

        Assert.Equal(PersonalizerNames.RuleBased, chosen);
        Assert.Equal("about 3 min", summary.Find("[data-testid='plan-duration']").TextContent);
        Assert.Empty(summary.FindAll("[data-testid='plan-calls']"));
        Assert.Equal("Every contact gets rule-based copy.", summary.Find("[data-testid='plan-coverage']").TextContent);
    }

    [Fact]
    public void Llm_ThatMissesTheLock_SaysWhatKeepsTheOriginal()
    {
        var summary = Render<PlanSummary>(p => p.Add(s => s.Choices, _choices).Add(s => s.HasDeadline, true).Add(s => s.Personalizer, PersonalizerNames.Llm));

        Assert.Equal("The model will reach only 42% before the lock; the rest keeps the original content.", summary.Find("[data-testid='plan-coverage']").TextContent);
    }

    private static AngleSharp.Dom.IElement Option(IRenderedComponent<PlanSummary> summary, string label) =>
        summary.FindAll("[data-testid='plan-personalizer'] label").Single(l => l.TextContent.Contains(label, StringComparison.Ordinal));

    [Fact]
    public void RunSection_ShowsTheSplitCallsTokensAndCost()
    {
        var view = new RunPersonalizationView(PersonalizerNames.Hybrid, new RunSourceSplit(1_200, 800, 3), 14, 16_800, 22_000, 210, 12, 0.0157m);

        var section = Render<RunPersonalizationSection>(p => p.Add(s => s.View, view));

        Assert.Equal("Hybrid (model, then rule-based)", section.Find("[data-testid='run-personalizer']").TextContent);
        Assert.Equal("1,200", section.Find("[data-testid='run-split-model']").TextContent);
        Assert.Equal("800", section.Find("[data-testid='run-split-rule-based']").TextContent);
        Assert.Equal("3", section.Find("[data-testid='run-split-original']").TextContent);
        Assert.Equal("14", section.Find("[data-testid='run-model-calls']").TextContent);
        Assert.Equal("16,800 / 22,000", section.Find("[data-testid='run-tokens']").TextContent.Trim());
        Assert.Equal("210 (12)", section.Find("[data-testid='run-groups']").TextContent.Trim());
        Assert.Equal("0.0157", section.Find("[data-testid='run-cost']").TextContent);
    }

    [Fact]
    public void RunSection_RuleBasedRun_HidesTheModelRows_AndARunWithoutStatsSaysSo()
    {
        var ruleBased = Render<RunPersonalizationSection>(p => p.Add(s => s.View, new RunPersonalizationView(PersonalizerNames.RuleBased, new RunSourceSplit(0, 350, 0), 0, 0, 0, 0, 0, null)));
        var none = Render<RunPersonalizationSection>(p => p.Add(s => s.View, null));

        Assert.Empty(ruleBased.FindAll("[data-testid='run-model-calls']"));
        Assert.Equal("350", ruleBased.Find("[data-testid='run-split-rule-based']").TextContent);
        Assert.NotNull(none.Find("[data-testid='run-personalization-none']"));
    }
}
