using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Operations;

public sealed class ObservabilityExportTests
{
    [Fact]
    public async Task OtlpEndpointConfigured_ExportsTracesAndMetricsToTheCollector()
    {
        // A stand-in OTLP/HTTP collector on loopback: it records which signal each export was for.
        var received = new ConcurrentQueue<string>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        collector.MapPost("/v1/{signal}", (string signal) =>
        {
            received.Enqueue(signal);
            return Results.Ok();
        });
        await collector.StartAsync();

        await using var app = new ReflyAppFactory(new Dictionary<string, string?>
        {
            ["OpenTelemetry:Endpoint"] = collector.Urls.First(),
            ["OpenTelemetry:Protocol"] = "http/protobuf",
            // Export sooner than every 60 s (metrics) and 5 s (traces); the wait below still covers the defaults.
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        });
        using var http = app.CreateHttpClient();
        using var page = await http.GetAsync("/marketing/campaigns");
        page.EnsureSuccessStatusCode();

        var exported = await CoreTestHost.WaitUntilAsync(
            () => Task.FromResult(received.Contains("traces") && received.Contains("metrics")), TimeSpan.FromSeconds(75));
        Assert.True(exported, "collector received: " + string.Join(", ", received.Distinct()));
    }

    [Fact]
    public async Task NoEndpointConfigured_ExportsNothing()
    {
        await using var app = new ReflyAppFactory();
        Assert.Null(app.Services.GetService(typeof(OpenTelemetry.Metrics.MeterProvider)));
        Assert.Null(app.Services.GetService(typeof(OpenTelemetry.Trace.TracerProvider)));
    }
}
