using FluentValidation;

namespace Refly.Core.Settings;

/// <summary>Parses the intervals typed in Settings: <c>hh:mm:ss</c> (or <c>d.hh:mm:ss</c>), or a number with s, min or h.</summary>
public static class IntervalInput
{
    /// <summary>Parses <paramref name="text"/>; false when it is not an interval.</summary>
    public static bool TryParse(string? text, out TimeSpan interval)
    {
        interval = default;
        var value = text?.Trim() ?? "";
        if (value.Length == 0)
        {
            return false;
        }
        if (value.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out interval);
        }
        var unitStart = 0;
        while (unitStart < value.Length && (char.IsAsciiDigit(value[unitStart]) || value[unitStart] == '.'))
        {
            unitStart++;
        }
        if (!double.TryParse(value[..unitStart], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        double? seconds = value[unitStart..].Trim().ToLowerInvariant() switch
        {
            "s" or "sec" or "second" or "seconds" => number,
            "m" or "min" or "minute" or "minutes" => number * 60,
            "h" or "hour" or "hours" => number * 3600,
            _ => null,
        };
        // Far too long still counts as a duration, so the admin is told the bounds rather than "not a duration".
        interval = seconds is null ? default : seconds >= TimeSpan.MaxValue.TotalSeconds ? TimeSpan.MaxValue : TimeSpan.FromSeconds(seconds.Value);
        return seconds is not null;
    }

    /// <summary>How an interval is put back into the form (e.g. <c>00:01:30</c>).</summary>
    public static string Format(TimeSpan interval) => StoredValue.FormatInterval(interval);
}

/// <summary>An interval as typed, within bounds (a rule, not a child validator: those skip null values).</summary>
internal static class IntervalRules
{
    public static IRuleBuilderOptions<T, string?> Interval<T>(this IRuleBuilderInitial<T, string?> rule, string label, TimeSpan min, TimeSpan max) =>
        rule.Cascade(CascadeMode.Stop)
            .Must(text => IntervalInput.TryParse(text, out _))
                .WithMessage($"{label}: enter a duration such as 00:05:00, 90s, 5min or 2h.")
            .Must(text => IntervalInput.TryParse(text, out var interval) && interval >= min && interval <= max)
                .WithMessage($"{label} must be between {Describe(min)} and {Describe(max)}.");

    private static string Describe(TimeSpan interval) =>
        interval.TotalHours >= 1 ? $"{interval.TotalHours:0} h" : interval.TotalMinutes >= 1 ? $"{interval.TotalMinutes:0} min" : $"{interval.TotalSeconds:0} s";
}

/// <summary>Parses the share typed in Settings: a fraction such as <c>0.9</c>, or a percentage such as <c>90%</c>.</summary>
public static class ShareInput
{
    /// <summary>Parses <paramref name="text"/> into a fraction (0.9 for "90%"); false when it is not a number.</summary>
    public static bool TryParse(string? text, out double share)
    {
        share = 0;
        var value = text?.Trim() ?? "";
        var percent = value.EndsWith('%');
        if (percent)
        {
            value = value[..^1].TrimEnd();
        }
        if (!double.TryParse(value, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }
        share = percent ? number / 100 : number;
        return true;
    }

    /// <summary>How a share is put back into the form (e.g. <c>90%</c>).</summary>
    public static string Format(double share) => (share * 100).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "%";
}

