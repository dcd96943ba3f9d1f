namespace Refly.Core.Impact;

/// <summary>The metrics a lift is reported for.</summary>
public enum ImpactMetric
{
    /// <summary>Unique opens per recipient.</summary>
    OpenRate,

    /// <summary>Unique clicks per recipient.</summary>
    ClickRate,

    /// <summary>Conversions per recipient.</summary>
    ConversionRate,

    /// <summary>Revenue per recipient.</summary>
    RevenuePerRecipient,
}
