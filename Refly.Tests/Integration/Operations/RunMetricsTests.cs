using System.Diagnostics.Metrics;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Refly.Core.Klaviyo;
using Refly.Core.Observability;
using Refly.Core.Personalization;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Operations;

public sealed class RunMetricsTests
{
    [Fact]
    public async Task CompletedRun_RecordsContactsWrittenBatchesDurationAndKlaviyoRequests()
    {
        await using var host = await CoreTestHost.StartAsync();
        var meters = host.Get<IMeterFactory>();
        using var written = new MetricCollector<long>(meters, ReflyMetrics.MeterName, "refly.run.contacts.written");
        using var batches = new MetricCollector<long>(meters, ReflyMetrics.MeterName, "refly.run.batches");
        using var finished = new MetricCollector<long>(meters, ReflyMetrics.MeterName, "refly.run.finished");
        using var duration = new MetricCollector<double>(meters, ReflyMetrics.MeterName, "refly.run.duration");
        using var requests = new MetricCollector<long>(meters, ReflyMetrics.MeterName, "refly.klaviyo.requests");
        using var rateLimited = new MetricCollector<long>(meters, ReflyMetrics.MeterName, "refly.klaviyo.rate_limited");
        var scenario = RunScenario.Create(host.Store);

        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [scenario.Campaign.Messages[0].Id]);
        var done = await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);

        Assert.Equal(scenario.AudienceIds.Count, written.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.Equal(done.Written, written.GetMeasurementSnapshot().EvaluateAsCounter());
        Assert.InRange(batches.GetMeasurementSnapshot().EvaluateAsCounter(), 1, scenario.AudienceIds.Count);
        var outcome = Assert.Single(finished.GetMeasurementSnapshot());
        Assert.Equal("Completed", outcome.Tags["state"]);
        var seconds = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal((done.FinishedAt - done.StartedAt)!.Value.TotalSeconds, seconds.Value, precision: 3);

        // Observable counters read the Klaviyo client's own statistics when collected.
        requests.RecordObservableInstruments();
        rateLimited.RecordObservableInstruments();
        var stats = host.Get<KlaviyoClientStats>();
        var perEndpoint = requests.GetMeasurementSnapshot().GroupBy(m => (string)m.Tags["endpoint"]!).ToDictionary(g => g.Key, g => g.Last().Value);
        Assert.NotEmpty(perEndpoint);
        Assert.All(perEndpoint, kv => Assert.True(kv.Value <= stats.For(kv.Key).RequestsSent));
        Assert.True(perEndpoint.Values.Sum() > 0);
        Assert.Equal(stats.TotalRateLimited, rateLimited.GetMeasurementSnapshot().GroupBy(m => m.Tags["endpoint"]).Sum(g => g.Last().Value));
    }
}
