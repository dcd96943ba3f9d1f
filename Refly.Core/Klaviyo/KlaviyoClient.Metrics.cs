namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<KlaviyoMetric>> GetMetricsAsync(CancellationToken cancellationToken)
    {
        var metrics = new List<KlaviyoMetric>();
        // get_metrics has no page[size] (Klaviyo returns up to 200 per page): follow the cursor.
        await foreach (var metric in GetAllPagesAsync(
            KlaviyoEndpoints.GetMetrics,
            cursor => "/api/metrics" + Query(("fields[metric]", "name,integration"), ("page[cursor]", cursor)),
            KlaviyoResponseParser.Metrics,
            cancellationToken).ConfigureAwait(false))
        {
            metrics.Add(metric);
        }

        return metrics;
    }
}
