using Refly.KlaviyoSandbox.Store;

namespace Refly.KlaviyoSandbox;

/// <summary>How a <see cref="KlaviyoSandboxServer"/> starts. Latency and fault rate can also change at run time on <see cref="SandboxStore"/>.</summary>
public sealed class KlaviyoSandboxOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free port.</summary>
    public int Port { get; set; }

    /// <summary>Multiplies every burst and steady limit of the spec; 1000 effectively lifts them, 0.1 tightens them for tests.</summary>
    public double RateLimitMultiplier { get; set; } = 1;

    /// <summary>Added to every request with Task.Delay, so concurrent requests overlap as they would over the internet.</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Fraction (0..1) of requests answered 503 with a Klaviyo error body.</summary>
    public double FaultRate { get; set; }

    /// <summary>Fills the account at start; null means the demo seed with <see cref="LargeListSize"/>; <see cref="SandboxSeeds.Empty"/> for tests that build their own.</summary>
    public Action<SandboxStore>? Seed { get; set; }

    /// <summary>How long a profile bulk import job stays queued/processing before it completes and its writes apply.</summary>
    public TimeSpan ImportJobDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Size of the demo seed's large list.</summary>
    public long LargeListSize { get; set; } = 200_000;

    /// <summary>"Now" for send times, the 15-minute lock and import jobs; tests pass a FakeTimeProvider.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// The clock of the rate-limit windows, apart from <see cref="TimeProvider"/> so that a test can freeze "now" for
    /// send times without freezing the windows (and a header test can step the windows exactly).
    /// </summary>
    public TimeProvider RateLimitTimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Seed of the profile generator and the fault dice, so runs are reproducible.</summary>
    public int RandomSeed { get; set; } = 20260715;

    internal void Validate()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(Port), Port, "Port must be 0..65535.");
        }
        if (RateLimitMultiplier <= 0 || double.IsNaN(RateLimitMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(RateLimitMultiplier), RateLimitMultiplier, "Must be positive.");
        }
        if (FaultRate is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(FaultRate), FaultRate, "Must be within 0..1.");
        }
        if (Latency < TimeSpan.Zero || ImportJobDelay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(Latency), "Durations must not be negative.");
        }
        if (LargeListSize < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LargeListSize), LargeListSize, "Must not be negative.");
        }
    }
}
