namespace Refly.Core.Impact;

/// <summary>What one group of recipients did with a campaign: the counts the rates come from, and the rates.</summary>
/// <param name="Recipients">Recipients the email was sent to (delivered or not).</param>
/// <param name="Opens">Recipients who opened at least once.</param>
/// <param name="Clicks">Recipients who clicked at least once.</param>
/// <param name="Conversions">Recipients who converted (the account's conversion metric, attributed to the campaign).</param>
/// <param name="Revenue">Conversion value attributed to the campaign, in the account's currency.</param>
/// <param name="RevenueSumOfSquares">Sum of each recipient's revenue squared, when known per recipient (events); null from aggregate reports.</param>
public sealed record ImpactRates(long Recipients, long Opens, long Clicks, long Conversions, double Revenue, double? RevenueSumOfSquares = null)
{
    /// <summary>Unique opens per recipient.</summary>
    public double OpenRate => Rate(Opens);

    /// <summary>Unique clicks per recipient.</summary>
    public double ClickRate => Rate(Clicks);

    /// <summary>Converting recipients per recipient.</summary>
    public double ConversionRate => Rate(Conversions);

    /// <summary>Revenue per recipient.</summary>
    public double RevenuePerRecipient => Recipients == 0 ? 0 : Revenue / Recipients;

    /// <summary>The sum of several groups (e.g. every personalized message of an A/B campaign).</summary>
    public static ImpactRates Sum(IEnumerable<ImpactRates> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var list = groups.ToList();
        return new ImpactRates(
            list.Sum(g => g.Recipients),
            list.Sum(g => g.Opens),
            list.Sum(g => g.Clicks),
            list.Sum(g => g.Conversions),
            list.Sum(g => g.Revenue),
            list.Count > 0 && list.All(g => g.RevenueSumOfSquares is not null) ? list.Sum(g => g.RevenueSumOfSquares!.Value) : null);
    }

    private double Rate(long count) => Recipients == 0 ? 0 : (double)count / Recipients;
}
