using System.Net;
using System.Text.Json;

namespace Refly.KlaviyoSandbox;

/// <summary>
/// Another integration of the same Klaviyo account (its own private key, the account's shared rate limits) reading a
/// list's profiles page after page at a steady rate, as a store's other apps do while Refly runs. Each request leaves
/// on its own schedule, whether or not earlier ones have been answered; a 429 is counted, and that page is asked for
/// again at the next tick. For tests and the benchmark: it measures what Refly's traffic costs the others.
/// </summary>
public sealed class SandboxNeighbour : IAsyncDisposable
{
    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly string _firstPage;
    private readonly TimeProvider _time;
    private readonly List<Task> _inFlight = [];
    private string _nextPage;
    private long _requests;
    private long _throttled;
    private long _failed;

    private SandboxNeighbour(Uri baseUrl, string apiKey, string listId, double requestsPerMinute, int pageSize, TimeProvider time)
    {
        _time = time;
        _client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Klaviyo-API-Key {apiKey}");
        _client.DefaultRequestHeaders.TryAddWithoutValidation("revision", Spec.SpecCatalog.Revision);
        _client.DefaultRequestHeaders.TryAddWithoutValidation("accept", JsonApi.KlaviyoErrorWriter.JsonApiMediaType);
        _firstPage = $"/api/lists/{Uri.EscapeDataString(listId)}/profiles?page[size]={pageSize}";
        _nextPage = _firstPage;
        _loop = RunAsync(TimeSpan.FromMinutes(1) / requestsPerMinute, _stop.Token);
    }

    /// <summary>Requests sent so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Of those, answered 429.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Of those, answered with another error or not at all.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Starts reading <paramref name="listId"/> at <paramref name="requestsPerMinute"/> with <paramref name="apiKey"/>.</summary>
    public static SandboxNeighbour Start(Uri baseUrl, string apiKey, string listId, double requestsPerMinute, int pageSize = 100, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(baseUrl);
        ArgumentException.ThrowIfNullOrEmpty(apiKey);
        ArgumentException.ThrowIfNullOrEmpty(listId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerMinute);
        return new SandboxNeighbour(baseUrl, apiKey, listId, requestsPerMinute, pageSize, time ?? TimeProvider.System);
    }

    /// <summary>Stops sending and waits for the answers still on their way.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Task[] pending;
        lock (_inFlight)
        {
            pending = [.. _inFlight];
        }
        await Task.WhenAll(pending);
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var start = _time.GetTimestamp();
        for (long tick = 0; !cancellationToken.IsCancellationRequested; tick++)
        {
            // Ticks on a fixed schedule from the start, so a slow answer does not slow the rate down.
            var due = (interval * tick) - _time.GetElapsedTime(start);
            if (due > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(due, _time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }

            var request = SendAsync();
            lock (_inFlight)
            {
                _inFlight.RemoveAll(t => t.IsCompleted);
                _inFlight.Add(request);
            }
        }
    }

    private async Task SendAsync()
    {
        Interlocked.Increment(ref _requests);
        string page;
        lock (_inFlight)
        {
            page = _nextPage;
        }
        try
        {
            // Not the stop token: a request that left is answered and counted.
            using var response = await _client.GetAsync(page);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Interlocked.Increment(ref _throttled);
                return;
            }
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _failed);
                return;
            }
            using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync());
            var next = document.RootElement.GetProperty("links").TryGetProperty("next", out var link) && link.ValueKind == JsonValueKind.String
                ? new Uri(link.GetString()!).PathAndQuery
                : _firstPage;
            lock (_inFlight)
            {
                _nextPage = next;
            }
        }
        catch (HttpRequestException)
        {
            Interlocked.Increment(ref _failed);
        }
        catch (TaskCanceledException)
        {
            // HttpClient's own timeout.
            Interlocked.Increment(ref _failed);
        }
    }
}
