using Refly.Core.Impact;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Impact;

public sealed class ConversionMetricResolverTests
{
    private static readonly KlaviyoMetric[] _metrics =
    [
        new("m-open", "Opened Email", "Klaviyo", "Internal"),
        new("m-order", "Placed Order", "Shopify", "eCommerce"),
        new("m-start", "Started Checkout", "Shopify", "eCommerce"),
    ];

    [Fact]
    public void Pick_WithoutAChoice_TakesPlacedOrder() =>
        Assert.Equal("m-order", ConversionMetricResolver.Pick(_metrics, new ImpactOptions())?.Id);

    [Fact]
    public void Pick_TheChosenId_WinsOverTheName() =>
        Assert.Equal("m-start", ConversionMetricResolver.Pick(_metrics, new ImpactOptions { ConversionMetricId = "m-start" })?.Id);

    [Fact]
    public void Pick_AnAccountWithoutPlacedOrder_HasNoConversionMetric() =>
        Assert.Null(ConversionMetricResolver.Pick(_metrics.Where(m => m.Name != "Placed Order").ToList(), new ImpactOptions()));
}
