using System.Globalization;

namespace Refly.Core.Impact;

/// <summary>How results read on a page: "+1.2 pts opens", "+8.4%", "not significant yet".</summary>
public static class ImpactText
{
    /// <summary>Said of a lift whose 95% interval spans zero (or is unknown).</summary>
    public const string NotSignificant = "not significant yet";

    /// <summary>The metric as a noun: "opens", "clicks", "conversions", "revenue per recipient".</summary>
    public static string Noun(ImpactMetric metric) => metric switch
    {
        ImpactMetric.OpenRate => "opens",
        ImpactMetric.ClickRate => "clicks",
        ImpactMetric.ConversionRate => "conversions",
        _ => "revenue per recipient",
    };

    /// <summary>The metric as a column title: "Open rate", ...</summary>
    public static string Title(ImpactMetric metric) => metric switch
    {
        ImpactMetric.OpenRate => "Open rate",
        ImpactMetric.ClickRate => "Click rate",
        ImpactMetric.ConversionRate => "Conversion rate",
        _ => "Revenue per recipient",
    };

    /// <summary>A rate as a percentage: "31.4%".</summary>
    public static string Rate(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    /// <summary>Revenue: "1.23".</summary>
    public static string Money(double value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    /// <summary>The absolute lift: "+1.2 pts" for a rate, "+0.12" for revenue per recipient.</summary>
    public static string Absolute(MetricLift lift)
    {
        ArgumentNullException.ThrowIfNull(lift);
        return Absolute(lift.Metric, lift.Absolute);
    }

    /// <summary>The relative lift: "+8.4%", or "—" when the control is zero.</summary>
    public static string Relative(MetricLift lift)
    {
        ArgumentNullException.ThrowIfNull(lift);
        return lift.Relative is { } relative ? Signed(relative * 100, "0.0") + "%" : "—";
    }

    /// <summary>The 95% interval: "95% CI −0.3 to +2.7 pts", or that the data gives none.</summary>
    public static string Interval(MetricLift lift)
    {
        ArgumentNullException.ThrowIfNull(lift);
        return lift.Low is { } low && lift.High is { } high
            ? $"95% CI {Absolute(lift.Metric, low)} to {Absolute(lift.Metric, high)}"
            : "no interval (the report has no per-recipient spread)";
    }

    /// <summary>The headline of a lift: "+1.2 pts opens" when significant, else "not significant yet".</summary>
    public static string Headline(MetricLift lift)
    {
        ArgumentNullException.ThrowIfNull(lift);
        return lift.Significant ? $"{Absolute(lift)} {Noun(lift.Metric)}" : NotSignificant;
    }

    /// <summary>
    /// A campaign's headline in the campaigns table: the open-rate lift ("+1.2 pts opens" or "not significant yet"),
    /// or null when there is no lift to show (no personalized message next to a control, no holdout).
    /// </summary>
    public static string? TableHeadline(CampaignImpact impact)
    {
        ArgumentNullException.ThrowIfNull(impact);
        var opens = impact.Lift.FirstOrDefault(l => l.Metric == ImpactMetric.OpenRate);
        return opens is null ? null : Headline(opens);
    }

    private static string Absolute(ImpactMetric metric, double value) =>
        metric == ImpactMetric.RevenuePerRecipient ? Signed(value, "0.00") : Signed(value * 100, "0.0") + " pts";

    // A typographic minus, as the interval reads in prose.
    private static string Signed(double value, string format)
    {
        var rounded = Math.Round(value, format.Length - 2);
        var text = Math.Abs(rounded).ToString(format, CultureInfo.InvariantCulture);
        return rounded > 0 ? "+" + text : rounded < 0 ? "\u2212" + text : text;
    }
}
