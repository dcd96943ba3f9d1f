using Refly.Core.Impact;
using Refly.Core.Impact.Reporting;

namespace Refly.Tests.Unit.Impact;

public sealed class ReportScheduleTests
{
    private static readonly DateTimeOffset _sent = new(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, 2.0)]
    [InlineData(1.0, 2.0)]
    [InlineData(2.5, 24.0)]
    [InlineData(24.0, 72.0)]
    [InlineData(30.0, 72.0)]
    [InlineData(80.0, 168.0)]
    public void NextDue_IsTheFirstStepAfterTheLastFetch(double? fetchedHoursAfterSend, double dueHoursAfterSend)
    {
        DateTimeOffset? fetched = fetchedHoursAfterSend is { } h ? _sent.AddHours(h) : null;

        Assert.Equal(_sent.AddHours(dueHoursAfterSend), ReportSchedule.NextDue(_sent, fetched));
    }

    [Fact]
    public void NextDue_AfterTheSevenDayRead_IsDone()
    {
        Assert.Null(ReportSchedule.NextDue(_sent, _sent.AddDays(7).AddMinutes(1)));
        // A campaign sent long before Refly first saw it: read once now (its first step is past), then done.
        Assert.Equal(_sent.AddHours(2), ReportSchedule.NextDue(_sent, null));
        Assert.Null(ReportSchedule.NextDue(_sent, _sent.AddDays(40)));
    }
}

public sealed class ImpactTextTests
{
    [Fact]
    public void Headline_SaysThePointsWhenSignificant_ElseNotSignificantYet()
    {
        var significant = LiftCalculator.Proportion(ImpactMetric.OpenRate, 3_600, 10_000, 3_000, 10_000);
        var spansZero = LiftCalculator.Proportion(ImpactMetric.ClickRate, 51, 1_000, 50, 1_000);

        Assert.True(significant.Significant);
        Assert.Equal("+6.0 pts opens", ImpactText.Headline(significant));
        Assert.Equal("+20.0%", ImpactText.Relative(significant));
        Assert.False(spansZero.Significant);
        Assert.Equal(ImpactText.NotSignificant, ImpactText.Headline(spansZero));
        Assert.Equal("+0.1 pts", ImpactText.Absolute(spansZero));
        Assert.StartsWith("95% CI \u2212", ImpactText.Interval(spansZero), StringComparison.Ordinal);
        Assert.EndsWith(" pts", ImpactText.Interval(spansZero), StringComparison.Ordinal);
    }

    [Fact]
    public void Revenue_WithoutPerRecipientSpread_HasNoInterval_AndIsNeverSignificant()
    {
        var lift = LiftCalculator.Mean(ImpactMetric.RevenuePerRecipient, new ImpactRates(1_000, 0, 0, 10, 1_500), new ImpactRates(1_000, 0, 0, 5, 500));

        Assert.Equal("+1.00", ImpactText.Absolute(lift));
        Assert.Equal(ImpactText.NotSignificant, ImpactText.Headline(lift));
        Assert.Contains("no interval", ImpactText.Interval(lift), StringComparison.Ordinal);
    }
}
