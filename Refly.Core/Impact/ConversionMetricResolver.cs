using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;

namespace Refly.Core.Impact;

/// <summary>Which of the account's metrics counts as a conversion: the configured one, else "Placed Order" when the account has it.</summary>
public sealed class ConversionMetricResolver(IKlaviyoClient klaviyo, IOptionsMonitor<ImpactOptions> options)
{
    /// <summary>The conversion metric, or null when the account has neither the configured metric nor "Placed Order".</summary>
    public async Task<KlaviyoMetric?> ResolveAsync(CancellationToken cancellationToken)
    {
        var metrics = await klaviyo.GetMetricsAsync(cancellationToken).ConfigureAwait(false);
        return Pick(metrics, options.CurrentValue);
    }

    /// <summary>The configured metric id, else the configured name, else "Placed Order".</summary>
    public static KlaviyoMetric? Pick(IReadOnlyList<KlaviyoMetric> metrics, ImpactOptions options)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.ConversionMetricId))
        {
            return metrics.FirstOrDefault(m => m.Id == options.ConversionMetricId);
        }

        return metrics.FirstOrDefault(m => string.Equals(m.Name, options.ConversionMetricName, StringComparison.OrdinalIgnoreCase));
    }
}
