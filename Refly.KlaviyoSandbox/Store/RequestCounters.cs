using System.Collections.Concurrent;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>Requests per operation and 429s returned, for tests and benchmarks.</summary>
public sealed class RequestCounters
{
    private readonly ConcurrentDictionary<string, long> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _throttled = new(StringComparer.Ordinal);
    private long _total;
    private long _totalThrottled;
    private long _faults;

    public long Total => Interlocked.Read(ref _total);
    public long Throttled => Interlocked.Read(ref _totalThrottled);
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>Requests that reached an operation, by operationId (e.g. "get_profiles_for_list"), including refused ones.</summary>
    public long RequestsFor(string operationId) => _requests.TryGetValue(operationId, out var n) ? n : 0;

    public long ThrottledFor(string operationId) => _throttled.TryGetValue(operationId, out var n) ? n : 0;

    public IReadOnlyDictionary<string, long> Snapshot() => new Dictionary<string, long>(_requests);

    internal void Request(string operationId)
    {
        Interlocked.Increment(ref _total);
        _requests.AddOrUpdate(operationId, 1, (_, n) => n + 1);
    }

    internal void Throttle(string operationId)
    {
        Interlocked.Increment(ref _totalThrottled);
        _throttled.AddOrUpdate(operationId, 1, (_, n) => n + 1);
    }

    internal void Fault() => Interlocked.Increment(ref _faults);

    public void Reset()
    {
        _requests.Clear();
        _throttled.Clear();
        Interlocked.Exchange(ref _total, 0);
        Interlocked.Exchange(ref _totalThrottled, 0);
        Interlocked.Exchange(ref _faults, 0);
    }
}
