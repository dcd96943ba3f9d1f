namespace Refly.ModelSandbox;

/// <summary>What the stand-in has served so far; tests and the benchmark read it (thread-safe, monotonic except the gauges).</summary>
public sealed class ModelSandboxCounters
{
    private long _requests;
    private long _completed;
    private long _throttled;
    private long _serverErrors;
    private long _stalls;
    private long _promptTokens;
    private long _completionTokens;
    private long _badOutputs;
    private int _maxRunning;
    private int _maxQueued;

    /// <summary>Chat completion requests received (all outcomes).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests answered 200 with a completion.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    /// <summary>Requests refused with 429 because every sequence was busy and the queue was full.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Requests answered 5xx by the <see cref="ModelFaults.ServerErrorRate"/> switch.</summary>
    public long ServerErrors => Interlocked.Read(ref _serverErrors);

    /// <summary>Requests that stalled (<see cref="ModelFaults.StallRate"/>).</summary>
    public long Stalls => Interlocked.Read(ref _stalls);

    /// <summary>Completions whose content was made bad by a switch.</summary>
    public long BadOutputs => Interlocked.Read(ref _badOutputs);

    /// <summary>Prompt tokens of the completed requests, as reported in their <c>usage</c>.</summary>
    public long PromptTokens => Interlocked.Read(ref _promptTokens);

    /// <summary>Completion (output) tokens of the completed requests, as reported in their <c>usage</c>.</summary>
    public long CompletionTokens => Interlocked.Read(ref _completionTokens);

    /// <summary>Sequences running now (prefill or decode).</summary>
    public int Running { get; internal set; }

    /// <summary>Requests waiting for a sequence now.</summary>
    public int Queued { get; internal set; }

    /// <summary>The most sequences that ever ran at once (never above the profile's MaxSequences).</summary>
    public int MaxRunning => Volatile.Read(ref _maxRunning);

    /// <summary>The longest the queue ever was (never above the profile's QueueCapacity).</summary>
    public int MaxQueued => Volatile.Read(ref _maxQueued);

    /// <summary>Output tokens the simulation decoded (completed or not).</summary>
    public double DecodedTokens { get; internal set; }

    /// <summary>Simulated seconds during which at least one sequence was decoding.</summary>
    public double DecodingSeconds { get; internal set; }

    /// <summary>Decoded tokens per simulated decoding second: the throughput the profile delivered, independent of the machine's speed.</summary>
    public double DecodedTokensPerSecond => DecodingSeconds > 0 ? DecodedTokens / DecodingSeconds : 0;

    internal void Request() => Interlocked.Increment(ref _requests);

    internal void Throttle() => Interlocked.Increment(ref _throttled);

    internal void ServerError() => Interlocked.Increment(ref _serverErrors);

    internal void Stall() => Interlocked.Increment(ref _stalls);

    internal void BadOutput() => Interlocked.Increment(ref _badOutputs);

    internal void Complete(int promptTokens, int completionTokens)
    {
        Interlocked.Increment(ref _completed);
        Interlocked.Add(ref _promptTokens, promptTokens);
        Interlocked.Add(ref _completionTokens, completionTokens);
    }

    internal void ObserveGauges(int running, int queued)
    {
        Running = running;
        Queued = queued;
        if (running > _maxRunning)
        {
            Volatile.Write(ref _maxRunning, running);
        }
        if (queued > _maxQueued)
        {
            Volatile.Write(ref _maxQueued, queued);
        }
    }
}
