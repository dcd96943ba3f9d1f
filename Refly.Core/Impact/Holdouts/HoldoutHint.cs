using System.Globalization;

namespace Refly.Core.Impact.Holdouts;

/// <summary>What the modal says a holdout share can detect (<see cref="LiftCalculator.MinimumDetectableChange"/>).</summary>
public static class HoldoutHint
{
    /// <summary>The open rate the hint assumes when the account's own is not known yet (the sandbox's base rate, a typical one).</summary>
    public const double TypicalOpenRate = 0.30;

    /// <summary>
    /// E.g. "With 198,000 recipients and 10% held out, an open-rate change of about 1 point can be detected." (95%
    /// confidence, 80% power, around <paramref name="baseOpenRate"/>).
    /// </summary>
    public static string For(long? recipients, double share, double baseOpenRate = TypicalOpenRate)
    {
        if (share <= 0)
        {
            return "No holdout: every recipient gets the personalized content, and Refly cannot compare against a control group.";
        }
        var percent = share.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", "", StringComparison.Ordinal);
        if (recipients is not { } total)
        {
            return $"{percent} of the recipients keep the original content as a control group.";
        }
        if (LiftCalculator.MinimumDetectableChange(total, share, baseOpenRate) is not { } change)
        {
            return $"With {total.ToString("N0", CultureInfo.InvariantCulture)} recipients, {percent} held out is too few for a control group.";
        }
        var points = change * 100;
        var pointsText = points.ToString(points < 10 ? "0.#" : "0", CultureInfo.InvariantCulture);
        var unit = pointsText == "1" ? "point" : "points";
        return $"With {total.ToString("N0", CultureInfo.InvariantCulture)} recipients and {percent} held out, an open-rate change of about {pointsText} {unit} can be detected.";
    }
}
