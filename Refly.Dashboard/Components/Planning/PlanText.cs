using System.Globalization;
using Refly.Core.Personalization;

namespace Refly.Dashboard.Components.Planning;

/// <summary>How the plan and run sections word durations, counts and costs.</summary>
public static class PlanText
{
    /// <summary>"about 3 min", "about 2 h 10 min", "under a minute".</summary>
    public static string Duration(TimeSpan duration) => duration switch
    {
        { TotalMinutes: < 1 } => "under a minute",
        { TotalHours: < 1 } => string.Create(CultureInfo.InvariantCulture, $"about {Math.Ceiling(duration.TotalMinutes):0} min"),
        { TotalDays: < 2 } => string.Create(CultureInfo.InvariantCulture, $"about {(int)duration.TotalHours} h {duration.Minutes} min"),
        _ => string.Create(CultureInfo.InvariantCulture, $"about {duration.TotalDays:0} days"),
    };

    /// <summary>A cost with up to 4 decimals, or "–" without prices.</summary>
    public static string Cost(decimal? cost) => cost is { } c ? c.ToString("0.####", CultureInfo.InvariantCulture) : "–";

    /// <summary>"N%" rounded down, so 99.6% never reads as 100%.</summary>
    public static string Percent(double share) =>
        string.Create(CultureInfo.InvariantCulture, $"{Math.Floor(Math.Clamp(share, 0, 1) * 100):0}%");

    /// <summary>Where the model's speed comes from, when it is not from earlier runs; null then.</summary>
    public static string? RatesNote(PersonalizerEstimate estimate)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        return estimate.RatesOrigin switch
        {
            ModelRatesOrigin.Preview => "Model speed measured by the samples' model calls, a few at once (a run makes more, so it is likely faster); the run refines it.",
            ModelRatesOrigin.Default => "Model speed assumed (a small server) until a run measures it.",
            _ => null,
        };
    }

    /// <summary>What the marketer is told about the model's share, per personalizer.</summary>
    public static string Coverage(PersonalizerEstimate estimate, bool hasDeadline)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        return estimate.Personalizer switch
        {
            PersonalizerNames.RuleBased => "Every contact gets rule-based copy.",
            PersonalizerNames.Hybrid when estimate.ModelCoverage < 1 =>
                $"The model will cover {Percent(estimate.ModelCoverage)} before the lock; the rest gets rule-based copy.",
            PersonalizerNames.Llm when estimate.Coverage < 1 && hasDeadline =>
                $"The model will reach only {Percent(estimate.Coverage)} before the lock; the rest keeps the original content.",
            _ => "The model writes every contact's copy" + (hasDeadline ? " before the lock." : "."),
        };
    }
}
