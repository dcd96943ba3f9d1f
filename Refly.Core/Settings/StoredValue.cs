using System.Globalization;

namespace Refly.Core.Settings;

/// <summary>How sections store typed values as text (invariant, round-trip), and how secrets are shown.</summary>
public static class StoredValue
{
    /// <summary>An interval in the invariant constant format, e.g. <c>00:01:30</c>.</summary>
    public static string FormatInterval(TimeSpan interval) => interval.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>A stored interval, or null when there is none (or it is not one).</summary>
    public static TimeSpan? ParseInterval(string? value) =>
        TimeSpan.TryParseExact(value, "c", CultureInfo.InvariantCulture, out var interval) ? interval : null;

    /// <summary>A fraction as invariant round-trip text, e.g. <c>0.75</c>.</summary>
    public static string FormatFraction(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>A stored fraction, or null when there is none (or it is not one).</summary>
    public static double? ParseFraction(string? value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var fraction) ? fraction : null;

    /// <summary>Trimmed text, or null when blank (a blank field falls back to configuration).</summary>
    public static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>A secret masked for display (e.g. <c>pk_••••••••3f2a</c>), or null when there is none.</summary>
    public static string? Mask(string? secret) =>
        string.IsNullOrEmpty(secret) ? null : secret.Length <= 8 ? "••••••••" : $"{secret[..3]}••••••••{secret[^4..]}";
}
