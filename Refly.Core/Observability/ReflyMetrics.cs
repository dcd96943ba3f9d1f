using System.Diagnostics;
using System.Diagnostics.Metrics;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Core.Observability;

/// <summary>
/// The product's own metrics (meter <c>Refly</c>) and trace source (activity source <c>Refly</c>): contacts written,
/// batches confirmed, run outcomes and durations, and the Klaviyo client's 429s and retries. Exporters (OTLP) are
/// wired by the host; without a listener every call here is a no-op.
/// </summary>
public sealed class ReflyMetrics
{
    /// <summary>Name of the <see cref="Meter"/> and of the <see cref="ActivitySource"/>.</summary>
    public const string MeterName = "Refly";

    /// <summary>Spans around personalization runs; one static source, as OpenTelemetry recommends.</summary>
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> _contactsWritten;
    private readonly Counter<long> _contactsFailed;
    private readonly Counter<long> _batches;
    private readonly Counter<long> _runsFinished;
    private readonly Histogram<double> _runDuration;

    public ReflyMetrics(IMeterFactory meterFactory, KlaviyoClientStats klaviyoStats)
    {
        var meter = meterFactory.Create(MeterName);
        _contactsWritten = meter.CreateCounter<long>("refly.run.contacts.written", "{contact}",
            "Contacts whose personalized properties Klaviyo confirmed (bulk import job completed).");
        _contactsFailed = meter.CreateCounter<long>("refly.run.contacts.failed", "{contact}",
            "Contacts Klaviyo refused in a bulk import job.");
        _batches = meter.CreateCounter<long>("refly.run.batches", "{batch}",
            "Import batches confirmed and checkpointed.");
        _runsFinished = meter.CreateCounter<long>("refly.run.finished", "{run}",
            "Runs that reached a terminal state (Completed, Failed, Cancelled), by state.");
        _runDuration = meter.CreateHistogram<double>("refly.run.duration", "s",
            "Time from a run's start to its terminal state, by state.");

        // The Klaviyo client already counts per endpoint; observe those counters instead of counting twice.
        meter.CreateObservableCounter("refly.klaviyo.requests", () => Observe(klaviyoStats, s => s.RequestsSent), "{request}",
            "HTTP attempts sent to Klaviyo (retries included), by endpoint.");
        meter.CreateObservableCounter("refly.klaviyo.rate_limited", () => Observe(klaviyoStats, s => s.RateLimited), "{response}",
            "429 Too Many Requests answers from Klaviyo, by endpoint.");
        meter.CreateObservableCounter("refly.klaviyo.retries", () => Observe(klaviyoStats, s => s.Retries), "{retry}",
            "Klaviyo requests retried by the resilience pipeline, by endpoint.");
    }

    /// <summary>A batch of a run was confirmed by Klaviyo and checkpointed.</summary>
    public void BatchConfirmed(int written, int failed)
    {
        _batches.Add(1);
        if (written > 0)
        {
            _contactsWritten.Add(written);
        }
        if (failed > 0)
        {
            _contactsFailed.Add(failed);
        }
    }

    /// <summary>A run reached a terminal state; <paramref name="duration"/> is null when it never started.</summary>
    public void RunFinished(RunState state, TimeSpan? duration)
    {
        var tag = new KeyValuePair<string, object?>("state", state.ToString());
        _runsFinished.Add(1, tag);
        if (duration is { } elapsed)
        {
            _runDuration.Record(Math.Max(0, elapsed.TotalSeconds), tag);
        }
    }

    private static IEnumerable<Measurement<long>> Observe(KlaviyoClientStats stats, Func<KlaviyoEndpointStats, long> value) =>
        stats.Snapshot().Select(kv => new Measurement<long>(value(kv.Value), new KeyValuePair<string, object?>("endpoint", kv.Key)));
}
