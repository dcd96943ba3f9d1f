using System.Globalization;

namespace Refly.Core.Personalization;

/// <summary>
/// What a campaign's row (and the run history) says about a run, in the product's words: the state, as the
/// marketer reads it ("Cancelled at 43%"), then the details joined by " · ".
/// </summary>
/// <param name="Headline">The state word, with where it stopped for a cancelled or failed run ("Cancelled at 43%").</param>
/// <param name="Details">Counts, duration and who or what started it, in reading order; empty for none.</param>
public sealed record RunSummary(string Headline, IReadOnlyList<string> Details)
{
    /// <summary>The separator between the headline and each detail.</summary>
    public const string Separator = " · ";

    /// <summary>The whole line, e.g. "Completed · 198,000 of 198,000 · 3 min · by ana@example.com".</summary>
    public string Text => Details.Count == 0 ? Headline : Headline + Separator + string.Join(Separator, Details);

    /// <summary>
    /// The summary of a run that has finished (Completed, Cancelled or Failed), or the trigger line of one still
    /// active; counts are formatted with the invariant culture so every browser reads the same digits.
    /// </summary>
    public static RunSummary Of(RunView run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var counts = run.Total is { } total
            ? $"{run.Written.ToString("N0", CultureInfo.InvariantCulture)} of {total.ToString("N0", CultureInfo.InvariantCulture)}"
            : $"{run.Written.ToString("N0", CultureInfo.InvariantCulture)} written";
        if (run.HeldOut > 0)
        {
            // Held-out contacts are done too (they keep the original on purpose): "178,200 of 198,000 · 19,800 held out".
            counts += $"{Separator}{run.HeldOut.ToString("N0", CultureInfo.InvariantCulture)} held out";
        }
        var duration = DurationOf(run) is { } d ? FormatDuration(d) : null;
        return run.State switch
        {
            RunState.Completed => new RunSummary("Completed", Parts(counts, duration, StartedByText(run, capitalized: false))),
            RunState.Cancelled => new RunSummary(StoppedAt("Cancelled", run), Parts(StartedByText(run, capitalized: false, started: true))),
            RunState.Failed => new RunSummary(StoppedAt("Failed", run), Parts(StartedByText(run, capitalized: false, started: true))),
            _ => new RunSummary(PersonalizationEligibility.StateText(run.State), Parts(StartedByText(run, capitalized: false, started: true))),
        };
    }

    /// <summary>
    /// Who or what started the run: "by ana@example.com", or for a run of the tag "by the tag “Refly: Personalize”"
    /// (a tag run records the tag's name as its starter).
    /// </summary>
    public static string StartedByText(RunView run, bool capitalized = true, bool started = false)
    {
        ArgumentNullException.ThrowIfNull(run);
        var by = run.Trigger == RunTrigger.Tag
            ? string.IsNullOrWhiteSpace(run.StartedBy) ? "by the Klaviyo tag" : $"by the tag “{run.StartedBy}”"
            : $"by {(string.IsNullOrWhiteSpace(run.StartedBy) ? "a marketer" : run.StartedBy)}";
        var text = started ? "started " + by : by;
        return capitalized ? char.ToUpperInvariant(text[0]) + text[1..] : text;
    }

    /// <summary>The run history's "Started by" column: the person (or "automation API"), or the tag as "Tag “Refly: Personalize”".</summary>
    public static string StarterName(RunView run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.Trigger == RunTrigger.Tag
            ? string.IsNullOrWhiteSpace(run.StartedBy) ? "Klaviyo tag" : $"Tag “{run.StartedBy}”"
            : string.IsNullOrWhiteSpace(run.StartedBy) ? "a marketer" : run.StartedBy;
    }

    /// <summary>How long the run worked: from its start to its finish; null until both are known.</summary>
    public static TimeSpan? DurationOf(RunView run)
    {
        ArgumentNullException.ThrowIfNull(run);
        return run.StartedAt is { } started && run.FinishedAt is { } finished && finished >= started ? finished - started : null;
    }

    /// <summary>"45 s", "3 min", "1 h 5 min": whole units, rounded to the nearest minute from a minute on.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.FromMinutes(1))
        {
            return $"{Math.Max(1, (int)Math.Round(duration.TotalSeconds)).ToString(CultureInfo.InvariantCulture)} s";
        }
        var minutes = (int)Math.Round(duration.TotalMinutes);
        return minutes < 60
            ? $"{minutes.ToString(CultureInfo.InvariantCulture)} min"
            : minutes % 60 == 0
                ? $"{(minutes / 60).ToString(CultureInfo.InvariantCulture)} h"
                : $"{(minutes / 60).ToString(CultureInfo.InvariantCulture)} h {(minutes % 60).ToString(CultureInfo.InvariantCulture)} min";
    }

    private static string StoppedAt(string state, RunView run) =>
        run.Percent is { } percent ? $"{state} at {Math.Floor(percent).ToString("0", CultureInfo.InvariantCulture)}%" : state;

    private static List<string> Parts(params string?[] parts) => parts.Where(p => !string.IsNullOrEmpty(p)).Select(p => p!).ToList();
}
