using System.Globalization;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The state of an endpoint's steady (one-minute, fixed) window as one Klaviyo answer reports it. Klaviyo sends these
/// headers on every non-429 answer and asks clients to manage their request rate with them; the window counts every
/// integration of the account that uses a private key.
/// </summary>
/// <param name="Limit"><c>RateLimit-Limit</c>: requests allowed per window.</param>
/// <param name="Remaining"><c>RateLimit-Remaining</c>: approximately how many are left in the current window.</param>
/// <param name="ResetSeconds"><c>RateLimit-Reset</c>: seconds before the current window resets.</param>
public readonly record struct KlaviyoRateLimitState(int Limit, int Remaining, int ResetSeconds)
{
    /// <summary>Header names as Klaviyo's documentation spells them (HTTP header names are case-insensitive).</summary>
    public const string LimitHeader = "RateLimit-Limit";

    /// <inheritdoc cref="LimitHeader"/>
    public const string RemainingHeader = "RateLimit-Remaining";

    /// <inheritdoc cref="LimitHeader"/>
    public const string ResetHeader = "RateLimit-Reset";

    /// <summary>Reads the three headers; false when one is missing or not a number (then the published limits alone pace).</summary>
    public static bool TryRead(HttpResponseMessage response, out KlaviyoRateLimitState state)
    {
        ArgumentNullException.ThrowIfNull(response);
        state = default;
        if (!TryReadNumber(response, LimitHeader, out var limit) || limit <= 0
            || !TryReadNumber(response, RemainingHeader, out var remaining)
            || !TryReadNumber(response, ResetHeader, out var reset))
        {
            return false;
        }

        state = new KlaviyoRateLimitState(limit, Math.Clamp(remaining, 0, limit), Math.Max(0, reset));
        return true;
    }

    private static bool TryReadNumber(HttpResponseMessage response, string name, out int value)
    {
        value = 0;
        if (!response.Headers.TryGetValues(name, out var values))
        {
            return false;
        }

        // Klaviyo sends a bare integer. Tolerate the IETF draft's list form ("750, 750;w=60") by reading its first item.
        var text = values.FirstOrDefault()?.Split([',', ';'], 2)[0].Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
