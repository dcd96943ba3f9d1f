using Microsoft.Extensions.Time.Testing;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Planning;

public sealed class PlanEstimatorTests
{
    private static readonly DateTimeOffset _now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly ModelRates _smallBox = new(GroupsPerSecond: 0.5, GroupsPerCall: 10, InputTokensPerCall: 1_000, OutputTokensPerGroup: 100, IsMeasured: true);

    [Fact]
    public void Llm_DiffersFromRuleBased_InDurationCallsAndTokens()
    {
        var inputs = Inputs(200_000, sendTime: null);
        var groups = new FactGroupEstimate(100, 50, 2_000);

        var rule = PlanEstimator.Estimate(PersonalizerNames.RuleBased, inputs, groups, _smallBox, null);
        var llm = PlanEstimator.Estimate(PersonalizerNames.Llm, inputs, groups, _smallBox, null);

        Assert.Equal(0, rule.ModelCalls);
        Assert.Equal(TimeSpan.FromSeconds(200), rule.Duration);
        // 2,000 groups at 0.5 a second: the model, not Klaviyo, bounds the run.
        Assert.Equal(TimeSpan.FromSeconds(4_000), llm.Duration);
        Assert.Equal(200, llm.ModelCalls);
        Assert.Equal(200_000, llm.InputTokens);
        Assert.Equal(200_000, llm.OutputTokens);
        Assert.Equal(1, llm.ModelCoverage);
        Assert.Null(llm.FinishesBeforeDeadline);
    }

    [Fact]
    public void Hybrid_BeforeALock_GivesTheModelWhatFits_AndCoversEveryone()
    {
        // The lock is 10 minutes away, 100 s are kept in reserve: 500 s of model time = 250 of 2,000 groups.
        var inputs = Inputs(100_000, sendTime: _now + SendTimeCheck.EditLockWindow + TimeSpan.FromMinutes(10), reserve: TimeSpan.FromSeconds(100));
        var groups = new FactGroupEstimate(100, 50, 2_000);

        var hybrid = PlanEstimator.Estimate(PersonalizerNames.Hybrid, inputs, groups, _smallBox, null);
        var llm = PlanEstimator.Estimate(PersonalizerNames.Llm, inputs, groups, _smallBox, null);

        Assert.Equal(0.125, hybrid.ModelCoverage, 3);
        Assert.Equal(1, hybrid.Coverage);
        Assert.True(hybrid.FinishesBeforeDeadline);
        Assert.Equal(25, hybrid.ModelCalls);
        Assert.False(llm.FinishesBeforeDeadline);
        Assert.Equal(0.15, llm.Coverage, 3);
        Assert.Equal(PersonalizerNames.Hybrid, PlanEstimator.DefaultPersonalizer(true, true, llm));
    }

    [Fact]
    public void Default_IsTheModel_WhenItCoversEveryoneInTime_RuleBasedWithoutAModel()
    {
        var llm = PlanEstimator.Estimate(PersonalizerNames.Llm, Inputs(1_000, _now.AddDays(1)), new FactGroupEstimate(100, 10, 100), _smallBox, null);

        Assert.True(llm.FinishesBeforeDeadline);
        Assert.Equal(PersonalizerNames.Llm, PlanEstimator.DefaultPersonalizer(true, true, llm));
        Assert.Equal(PersonalizerNames.RuleBased, PlanEstimator.DefaultPersonalizer(false, true, llm));
        Assert.Equal(PersonalizerNames.RuleBased, PlanEstimator.DefaultPersonalizer(true, false, llm));
    }

    [Fact]
    public void Cost_ComesFromThePricesPerMillionTokens_NoneWithoutPrices()
    {
        var inputs = Inputs(200_000, sendTime: null);
        var groups = new FactGroupEstimate(100, 50, 2_000);
        var prices = new LlmPersonalizerOptions { InputPricePerMillionTokens = 0.15m, OutputPricePerMillionTokens = 0.60m };

        var llm = PlanEstimator.Estimate(PersonalizerNames.Llm, inputs, groups, _smallBox, prices);

        // 200,000 input tokens at 0.15 + 200,000 output tokens at 0.60 per million.
        Assert.Equal(0.15m, llm.Cost);
        Assert.Null(PlanEstimator.Estimate(PersonalizerNames.Llm, inputs, groups, _smallBox, new LlmPersonalizerOptions()).Cost);
    }

    [Fact]
    public void FactGroups_FromAWholeAudience_AreExact_FromASample_IncludeUnseenGroups()
    {
        var profiles = Enumerable.Range(0, 100).Select(i => Profile(i, tier: (i % 4).ToString(System.Globalization.CultureInfo.InvariantCulture), city: i < 50 ? "Lyon" : $"City {i}")).ToList();

        var whole = FactGroupEstimate.FromSample(profiles, 100);
        var sample = FactGroupEstimate.FromSample(profiles, 10_000);

        Assert.Equal(54, whole.DistinctGroups);
        Assert.Equal(54, sample.DistinctInSample);
        // 50 singletons: many groups the sample has not met.
        Assert.True(sample.DistinctGroups > 54 && sample.DistinctGroups <= 10_000, $"{sample.DistinctGroups}");
    }

    [Fact]
    public void Budget_AdmitsWhileTheModelFinishesBeforeTheLock_ThenNeverAgain()
    {
        var time = new FakeTimeProvider(_now);
        // 2 groups a second, 60 s to the deadline with 10 s in reserve: 100 groups fit.
        var budget = new ModelBudget(_now.AddSeconds(60), 2, TimeSpan.FromSeconds(10), time);

        var admitted = Enumerable.Range(0, 150).Count(_ => budget.TryAdmit());

        Assert.Equal(100, admitted);
        budget.Record(100);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(budget.TryAdmit());
        Assert.Equal(51, budget.RefusedGroups);
    }

    [Fact]
    public void Budget_SwitchesToTheRateItMeasures()
    {
        var time = new FakeTimeProvider(_now);
        var budget = new ModelBudget(_now.AddMinutes(10), 0.1, TimeSpan.Zero, time);
        for (var i = 0; i < 10; i++)
        {
            Assert.True(budget.TryAdmit());
        }
        time.Advance(TimeSpan.FromSeconds(2));
        budget.Record(10);

        Assert.Equal(5, budget.GroupsPerSecond, 3);
        Assert.Equal(TimeSpan.FromSeconds(2), budget.ModelTime);
        Assert.True(ModelBudget.Unlimited(time).TryAdmit());
    }

    private static PlanInputs Inputs(long recipients, DateTimeOffset? sendTime, TimeSpan? reserve = null) =>
        new(recipients, 1, _now, sendTime, 1_000, reserve ?? TimeSpan.Zero);

    private static KlaviyoProfile Profile(int i, string tier, string city) =>
        new($"p{i}", $"c{i}@example.com", "Mia", null, city, "France", null, new Dictionary<string, string?> { ["loyalty_tier"] = tier });
}
