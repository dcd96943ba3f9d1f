using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// The throughput estimates assume before a run measures its own: <see cref="PersonalizationOptions.ExpectedContactsPerSecond"/>
/// when configured, else <see cref="RunEstimate.ExpectedContactsPerSecond"/> at the current share of Klaviyo's rate
/// limits (a share saved in Settings applies to the next estimate).
/// </summary>
public sealed class ExpectedThroughput(IOptionsMonitor<PersonalizationOptions> personalization, IOptionsMonitor<KlaviyoOptions> klaviyo)
{
    /// <summary>Contacts a second.</summary>
    public double ContactsPerSecond =>
        personalization.CurrentValue.ExpectedContactsPerSecond
        ?? RunEstimate.ExpectedContactsPerSecond(klaviyo.CurrentValue.RateLimitShare, klaviyo.CurrentValue.RateLimitScale);
}
