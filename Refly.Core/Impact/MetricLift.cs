namespace Refly.Core.Impact;

/// <summary>
/// How much the personalized group beat the control on one metric, with a 95% confidence interval of the absolute
/// difference. <see cref="Low"/>/<see cref="High"/> are null when the data cannot give one (revenue from an aggregate
/// report has no per-recipient spread).
/// </summary>
/// <param name="Metric">The metric.</param>
/// <param name="Personalized">The personalized group's value.</param>
/// <param name="Control">The control group's value.</param>
/// <param name="Absolute">Personalized minus control (for rates: a fraction, 0.01 = one point).</param>
/// <param name="Relative">Absolute over control; null when the control is zero.</param>
/// <param name="Low">Lower bound of the 95% interval of <paramref name="Absolute"/>.</param>
/// <param name="High">Upper bound of the 95% interval of <paramref name="Absolute"/>.</param>
public sealed record MetricLift(ImpactMetric Metric, double Personalized, double Control, double Absolute, double? Relative, double? Low, double? High)
{
    /// <summary>True when the interval is known and does not span zero; false means "not significant yet".</summary>
    public bool Significant => Low is { } low && High is { } high && (low > 0 || high < 0);
}
