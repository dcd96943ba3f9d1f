namespace Refly.Core.Impact;

/// <summary>
/// Lift of a personalized group over a control, with 95% intervals: the difference of two proportions (unpooled
/// normal approximation, as A/B reports use) and the difference of two means (Welch) for revenue per recipient.
/// Also the smallest change a holdout can detect, for the modal's hint.
/// </summary>
public static class LiftCalculator
{
    /// <summary>z for a two-sided 95% interval.</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>z for 80% power (one-sided).</summary>
    public const double Z80 = 0.8416212335729143;

    /// <summary>The lift of every metric of <paramref name="personalized"/> over <paramref name="control"/>.</summary>
    public static IReadOnlyList<MetricLift> Compare(ImpactRates personalized, ImpactRates control)
    {
        ArgumentNullException.ThrowIfNull(personalized);
        ArgumentNullException.ThrowIfNull(control);
        return
        [
            Proportion(ImpactMetric.OpenRate, personalized.Opens, personalized.Recipients, control.Opens, control.Recipients),
            Proportion(ImpactMetric.ClickRate, personalized.Clicks, personalized.Recipients, control.Clicks, control.Recipients),
            Proportion(ImpactMetric.ConversionRate, personalized.Conversions, personalized.Recipients, control.Conversions, control.Recipients),
            Mean(ImpactMetric.RevenuePerRecipient, personalized, control),
        ];
    }

    /// <summary>Difference of two proportions x1/n1 - x2/n2 with its 95% interval.</summary>
    public static MetricLift Proportion(ImpactMetric metric, long x1, long n1, long x2, long n2)
    {
        if (x1 < 0 || x2 < 0 || n1 < 0 || n2 < 0 || x1 > n1 || x2 > n2)
        {
            throw new ArgumentOutOfRangeException(nameof(metric), $"Counts must satisfy 0 <= x <= n; got {x1}/{n1} and {x2}/{n2}.");
        }

        var p1 = n1 == 0 ? 0 : (double)x1 / n1;
        var p2 = n2 == 0 ? 0 : (double)x2 / n2;
        var difference = p1 - p2;
        if (n1 == 0 || n2 == 0)
        {
            return new MetricLift(metric, p1, p2, difference, Relative(difference, p2), null, null);
        }

        var standardError = Math.Sqrt((p1 * (1 - p1) / n1) + (p2 * (1 - p2) / n2));
        return new MetricLift(metric, p1, p2, difference, Relative(difference, p2), difference - (Z95 * standardError), difference + (Z95 * standardError));
    }

    /// <summary>Difference of revenue per recipient; an interval only when both groups know their sum of squares.</summary>
    public static MetricLift Mean(ImpactMetric metric, ImpactRates personalized, ImpactRates control)
    {
        ArgumentNullException.ThrowIfNull(personalized);
        ArgumentNullException.ThrowIfNull(control);
        var m1 = personalized.RevenuePerRecipient;
        var m2 = control.RevenuePerRecipient;
        var difference = m1 - m2;
        if (personalized.RevenueSumOfSquares is not { } ss1 || control.RevenueSumOfSquares is not { } ss2 || personalized.Recipients < 2 || control.Recipients < 2)
        {
            return new MetricLift(metric, m1, m2, difference, Relative(difference, m2), null, null);
        }

        var standardError = Math.Sqrt((Variance(ss1, m1, personalized.Recipients) / personalized.Recipients) + (Variance(ss2, m2, control.Recipients) / control.Recipients));
        return new MetricLift(metric, m1, m2, difference, Relative(difference, m2), difference - (Z95 * standardError), difference + (Z95 * standardError));
    }

    /// <summary>
    /// The smallest absolute change of a rate (around <paramref name="baseRate"/>) that a split of
    /// <paramref name="recipients"/> with <paramref name="holdoutShare"/> held out detects at 95% confidence and 80% power.
    /// Null when either group would be empty.
    /// </summary>
    public static double? MinimumDetectableChange(long recipients, double holdoutShare, double baseRate)
    {
        var control = recipients * holdoutShare;
        var treated = recipients - control;
        if (control < 1 || treated < 1 || baseRate is <= 0 or >= 1)
        {
            return null;
        }

        return (Z95 + Z80) * Math.Sqrt(baseRate * (1 - baseRate) * ((1 / treated) + (1 / control)));
    }

    private static double? Relative(double difference, double control) => control == 0 ? null : difference / control;

    /// <summary>Sample variance from the sum of squares and the mean.</summary>
    private static double Variance(double sumOfSquares, double mean, long n) => Math.Max(0, (sumOfSquares - (n * mean * mean)) / (n - 1));
}
