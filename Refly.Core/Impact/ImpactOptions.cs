namespace Refly.Core.Impact;

/// <summary>How Refly measures a campaign's impact (configuration section <c>Impact</c>).</summary>
public sealed class ImpactOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Impact";

    /// <summary>The conversion metric's id (chosen in Settings); when empty, <see cref="ConversionMetricName"/> is looked up.</summary>
    public string? ConversionMetricId { get; set; }

    /// <summary>The conversion metric's name when no id is chosen.</summary>
    public string ConversionMetricName { get; set; } = "Placed Order";
}
