namespace Refly.Core.Klaviyo;

/// <summary>A metric of the account (GET /api/metrics): "Opened Email", "Placed Order", ...</summary>
/// <param name="Id">The metric id (what <c>conversion_metric_id</c> and <c>equals(metric_id,...)</c> take).</param>
/// <param name="Name">The metric's name.</param>
/// <param name="IntegrationName">The integration that records it ("Klaviyo", "Shopify"), when Klaviyo says.</param>
/// <param name="IntegrationCategory">The integration's category ("Internal", "eCommerce"), when Klaviyo says.</param>
public sealed record KlaviyoMetric(string Id, string Name, string? IntegrationName, string? IntegrationCategory);
