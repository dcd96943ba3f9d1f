using System.Diagnostics;

namespace Refly.ModelSandbox.Capacity;

/// <summary>
/// Continuous batching as an inference server does it, in simulated time: up to MaxSequences run at once, each first
/// spends the time to first token in prefill, then decodes at min(per-sequence rate, aggregate rate / decoding
/// sequences); requests beyond them wait in a FIFO queue of QueueCapacity; beyond that a request is refused. A ticker
/// advances the simulation by real elapsed time times the time scale, and sleeps while the server is idle.
/// </summary>
internal sealed class CapacityModel : IAsyncDisposable
{
    /// <summary>The longest real step the ticker simulates at once: after a pause (GC, a busy box) the model slows down rather than bursts.</summary>
    private static readonly TimeSpan _maxStep = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan _tick = TimeSpan.FromMilliseconds(5);

    private readonly ModelProfile _profile;
    private readonly double _timeScale;
    private readonly ModelSandboxCounters _counters;
    private readonly Lock _lock = new();
    private readonly List<Sequence> _running = [];
    private readonly LinkedList<Sequence> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticker;
    private int _holds;

    public CapacityModel(ModelProfile profile, double timeScale, ModelSandboxCounters counters)
    {
        _profile = profile;
        _timeScale = timeScale;
        _counters = counters;
        _ticker = Task.Run(TickLoopAsync);
    }

    public ModelProfile Profile => _profile;

    /// <summary>
    /// Runs one sequence of <paramref name="outputTokens"/> to its end (or holds it for <paramref name="stall"/>
    /// simulated time when set). Returns false at once, with the real time after which a retry may find room, when the
    /// queue is full.
    /// </summary>
    public async Task<(bool Admitted, TimeSpan RetryAfter)> RunAsync(int outputTokens, TimeSpan? stall, CancellationToken cancellationToken)
    {
        var sequence = new Sequence(Math.Max(1, outputTokens), _profile.TimeToFirstToken.TotalSeconds, stall?.TotalSeconds);
        lock (_lock)
        {
            if (_running.Count < _profile.MaxSequences && _queue.Count == 0)
            {
                _running.Add(sequence);
            }
            else if (_queue.Count < _profile.QueueCapacity)
            {
                sequence.Node = _queue.AddLast(sequence);
            }
            else
            {
                return (false, EstimateRetryAfter());
            }
            _counters.ObserveGauges(_running.Count, _queue.Count);
        }
        _wake.Release();

        using var registration = cancellationToken.Register(() => Abandon(sequence));
        await sequence.Done.Task.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return (true, TimeSpan.Zero);
    }

    /// <summary>Freezes simulated time (no prefill, no decoding) until the returned handle is disposed; admission still runs.</summary>
    public IDisposable Hold()
    {
        Interlocked.Increment(ref _holds);
        return new Release(this);
    }

    private void Abandon(Sequence sequence)
    {
        lock (_lock)
        {
            if (sequence.Node is { List: not null } node)
            {
                _queue.Remove(node);
            }
            _running.Remove(sequence);
            AdmitFromQueue();
            _counters.ObserveGauges(_running.Count, _queue.Count);
        }
        sequence.Done.TrySetResult();
    }

    /// <summary>Real time until the queue has drained by one request's worth, at least a second (Retry-After is in whole seconds).</summary>
    private TimeSpan EstimateRetryAfter()
    {
        var remaining = 0.0;
        foreach (var s in _running)
        {
            remaining += Math.Max(0, s.OutputTokens - s.Produced);
        }
        var average = _running.Count > 0 ? _running.Average(s => s.OutputTokens) : 100;
        var tokensBeforeRoom = _running.Count > 0 ? remaining / _running.Count + average * (_queue.Count / (double)_profile.MaxSequences) : average;
        var simulatedSeconds = _profile.TimeToFirstToken.TotalSeconds + tokensBeforeRoom / Math.Min(_profile.PerSequenceOutputTokensPerSecond,
            _profile.AggregateOutputTokensPerSecond / _profile.MaxSequences);
        var realSeconds = Math.Ceiling(Math.Clamp(simulatedSeconds / _timeScale, 1, 600));
        return TimeSpan.FromSeconds(realSeconds);
    }

    private async Task TickLoopAsync()
    {
        var clock = Stopwatch.StartNew();
        var last = clock.Elapsed;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                bool idle;
                lock (_lock)
                {
                    idle = _running.Count == 0;
                }
                if (idle)
                {
                    await _wake.WaitAsync(_stop.Token).ConfigureAwait(false);
                    last = clock.Elapsed;
                    continue;
                }
                await Task.Delay(_tick, _stop.Token).ConfigureAwait(false);
                var now = clock.Elapsed;
                var step = now - last;
                last = now;
                if (Volatile.Read(ref _holds) > 0)
                {
                    continue;
                }
                Advance((step > _maxStep ? _maxStep : step).TotalSeconds * _timeScale);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    private void Advance(double seconds)
    {
        List<Sequence>? finished = null;
        lock (_lock)
        {
            var decoding = 0;
            foreach (var s in _running)
            {
                if (s.Prefill <= 0 && s.StallLeft is null)
                {
                    decoding++;
                }
            }
            var rate = decoding == 0 ? 0 : Math.Min(_profile.PerSequenceOutputTokensPerSecond, _profile.AggregateOutputTokensPerSecond / decoding);
            double decoded = 0;
            double busy = 0;
            for (var i = _running.Count - 1; i >= 0; i--)
            {
                var s = _running[i];
                if (s.Prefill > 0)
                {
                    s.Prefill -= seconds;
                    continue;
                }
                if (s.StallLeft is { } stallLeft)
                {
                    s.StallLeft = stallLeft - seconds;
                    if (s.StallLeft > 0)
                    {
                        continue;
                    }
                    s.Produced = s.OutputTokens;
                }
                else
                {
                    var step = Math.Min(rate * seconds, s.OutputTokens - s.Produced);
                    s.Produced += step;
                    decoded += step;
                    // A sequence that ends mid-step decoded only for part of it.
                    busy = Math.Max(busy, step / rate);
                }
                if (s.Produced >= s.OutputTokens - 1e-9)
                {
                    _running.RemoveAt(i);
                    (finished ??= []).Add(s);
                }
            }
            if (decoding > 0)
            {
                _counters.DecodedTokens += decoded;
                _counters.DecodingSeconds += Math.Min(seconds, busy);
            }
            AdmitFromQueue();
            _counters.ObserveGauges(_running.Count, _queue.Count);
        }
        if (finished is not null)
        {
            foreach (var s in finished)
            {
                s.Done.TrySetResult();
            }
        }
    }

    private void AdmitFromQueue()
    {
        while (_running.Count < _profile.MaxSequences && _queue.First is { } first)
        {
            _queue.RemoveFirst();
            first.Value.Node = null;
            _running.Add(first.Value);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _ticker.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
        lock (_lock)
        {
            foreach (var s in _running.Concat(_queue))
            {
                s.Done.TrySetResult();
            }
            _running.Clear();
            _queue.Clear();
        }
        _stop.Dispose();
    }

    private sealed class Sequence(int outputTokens, double prefill, double? stall)
    {
        public int OutputTokens { get; } = outputTokens;

        public double Produced { get; set; }

        public double Prefill { get; set; } = prefill;

        public double? StallLeft { get; set; } = stall;

        public LinkedListNode<Sequence>? Node { get; set; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class Release(CapacityModel model) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                Interlocked.Decrement(ref model._holds);
                model._wake.Release();
            }
        }
    }
}
