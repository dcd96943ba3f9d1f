using Refly.Core.Impact;

namespace Refly.Tests.Unit.Impact;

/// <summary>Reference values computed independently (Python: unpooled normal interval, Welch standard error).</summary>
public sealed class LiftCalculatorTests
{
    [Fact]
    public void Proportion_MatchesTheReferenceInterval_AndSpanningZeroIsNotSignificant()
    {
        var lift = LiftCalculator.Proportion(ImpactMetric.OpenRate, 330, 1_000, 300, 1_000);

        Assert.Equal(0.03, lift.Absolute, 12);
        Assert.Equal(0.1, lift.Relative!.Value, 12);
        Assert.Equal(-0.01069462983737824, lift.Low!.Value, 12);
        Assert.Equal(0.07069462983737829, lift.High!.Value, 12);
        Assert.False(lift.Significant);
    }

    [Fact]
    public void Proportion_WithEnoughRecipients_IsSignificant()
    {
        var lift = LiftCalculator.Proportion(ImpactMetric.ClickRate, 2_400, 10_000, 2_000, 10_000);

        Assert.Equal(0.028531279495054067, lift.Low!.Value, 12);
        Assert.Equal(0.05146872050494589, lift.High!.Value, 12);
        Assert.True(lift.Significant);
    }

    [Fact]
    public void Proportion_EmptyControl_HasNoIntervalAndNoRelativeLift()
    {
        var lift = LiftCalculator.Proportion(ImpactMetric.OpenRate, 10, 100, 0, 0);

        Assert.Null(lift.Low);
        Assert.Null(lift.Relative);
        Assert.False(lift.Significant);
    }

    [Fact]
    public void Proportion_MoreSuccessesThanRecipients_IsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => LiftCalculator.Proportion(ImpactMetric.OpenRate, 11, 10, 1, 10));

    [Fact]
    public void Mean_WithSumsOfSquares_UsesTheWelchInterval()
    {
        // Revenues per recipient: personalized [0, 0, 10, 20], control [0, 5, 5, 0].
        var personalized = new ImpactRates(4, 0, 0, 2, 30, 500);
        var control = new ImpactRates(4, 0, 0, 2, 10, 50);

        var lift = LiftCalculator.Mean(ImpactMetric.RevenuePerRecipient, personalized, control);

        Assert.Equal(5.0, lift.Absolute, 12);
        Assert.Equal(-4.799819922700269, lift.Low!.Value, 9);
        Assert.Equal(14.79981992270027, lift.High!.Value, 9);
    }

    [Fact]
    public void Mean_FromAggregateReports_HasNoInterval()
    {
        var lift = LiftCalculator.Mean(ImpactMetric.RevenuePerRecipient, new ImpactRates(100, 0, 0, 5, 500), new ImpactRates(100, 0, 0, 4, 400));

        Assert.Equal(1.0, lift.Absolute, 12);
        Assert.Null(lift.Low);
        Assert.False(lift.Significant);
    }

    [Fact]
    public void MinimumDetectableChange_For198000RecipientsWithATenthHeldOut_IsAboutOnePoint()
    {
        var change = LiftCalculator.MinimumDetectableChange(198_000, 0.10, baseRate: 0.30);

        Assert.Equal(0.009617443304987691, change!.Value, 9);
        Assert.Null(LiftCalculator.MinimumDetectableChange(198_000, 0, 0.30));
    }

    [Fact]
    public void CampaignImpact_WithoutHoldout_LiftsThePersonalizedMessagesOverTheOthers()
    {
        var impact = new CampaignImpact(
            "c1",
            [
                new MessageImpact("m1", "A", Personalized: true, new ImpactRates(1_000, 330, 50, 10, 100)),
                new MessageImpact("m2", "B", Personalized: false, new ImpactRates(1_000, 300, 40, 8, 80)),
            ],
            Holdout: null,
            DateTimeOffset.UnixEpoch,
            NextRefreshAt: null);

        Assert.Equal(ImpactSource.Reporting, impact.Source);
        var open = Assert.Single(impact.Lift, l => l.Metric == ImpactMetric.OpenRate);
        Assert.Equal(0.03, open.Absolute, 12);
    }

    [Fact]
    public void CampaignImpact_WithAHoldout_TakesItsLiftAsTheHeadline()
    {
        var holdout = HoldoutImpact.Of(new ImpactRates(9_000, 2_700, 400, 90, 900), new ImpactRates(1_000, 250, 40, 9, 90));
        var impact = new CampaignImpact("c1", [new MessageImpact("m1", "A", true, new ImpactRates(10_000, 2_950, 440, 99, 990))], holdout, DateTimeOffset.UnixEpoch, null);

        Assert.Equal(ImpactSource.Events, impact.Source);
        Assert.Empty(impact.MessageLift);
        Assert.Equal(0.05, impact.Lift.Single(l => l.Metric == ImpactMetric.OpenRate).Absolute, 12);
    }
}
