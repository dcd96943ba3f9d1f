using System.Globalization;

namespace Refly.Core.Klaviyo;

/// <summary>How long Refly kept trying, in words for error messages ("40 seconds", "3 minutes").</summary>
internal static class KlaviyoDuration
{
    public static string Format(TimeSpan duration)
    {
        if (duration < TimeSpan.FromSeconds(1))
        {
            return "under a second";
        }
        if (duration < TimeSpan.FromMinutes(2))
        {
            var seconds = (int)Math.Round(duration.TotalSeconds);
            return seconds == 1 ? "1 second" : string.Create(CultureInfo.InvariantCulture, $"{seconds} seconds");
        }
        if (duration < TimeSpan.FromHours(2))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)Math.Round(duration.TotalMinutes)} minutes");
        }
        return string.Create(CultureInfo.InvariantCulture, $"{duration.TotalHours:0.#} hours");
    }
}
