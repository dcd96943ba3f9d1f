using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Support;

/// <summary>
/// Stands in for Klaviyo misbehaving, on the product's own Klaviyo client: a handler added innermost (after the
/// resilience pipelines, pacing, the attempt timeout and the buffering handler) answers matching requests itself,
/// as the network or Klaviyo would. Everything else goes on to the sandbox. Thread-safe; switch faults on and off at will.
/// </summary>
public sealed class KlaviyoFaultInjector
{
    private volatile Fault? _fault;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lostAnswers = new();
    private volatile Func<HttpRequestMessage, bool>? _loseAnswers;
    private long _injected;

    /// <summary>Requests answered by a fault so far.</summary>
    public long Injected => Interlocked.Read(ref _injected);

    /// <summary>Registers the injector on the product's Klaviyo client (for <see cref="CoreTestHost.StartAsync"/>'s configureServices).</summary>
    public void AddTo(IServiceCollection services) =>
        services.AddHttpClient(KlaviyoServiceCollectionExtensions.HttpClientName).AddHttpMessageHandler(() => new Handler(this));

    /// <summary>From now on, requests matching <paramref name="when"/> are answered by <paramref name="respond"/>.</summary>
    public void Inject(Func<HttpRequestMessage, bool> when, Func<CancellationToken, Task<HttpResponseMessage>> respond) =>
        _fault = new Fault(when, respond);

    public void Inject(Func<HttpRequestMessage, bool> when, Func<HttpResponseMessage> respond) =>
        Inject(when, _ => Task.FromResult(respond()));

    /// <summary>
    /// From now on, requests matching <paramref name="when"/> reach the sandbox and are handled, but their answer never
    /// arrives (the caller waits until it gives up): a submit whose answer was lost on the way back.
    /// </summary>
    public void LoseAnswers(Func<HttpRequestMessage, bool> when) => _loseAnswers = when;

    /// <summary>The bodies of the answers <see cref="LoseAnswers"/> kept from the caller, in order.</summary>
    public IReadOnlyList<string> LostAnswers => [.. _lostAnswers];

    /// <summary>Klaviyo is back to normal.</summary>
    public void Clear()
    {
        _fault = null;
        _loseAnswers = null;
    }

    /// <summary>get_profiles_for_list / get_profiles_for_segment: the audience reads of a run.</summary>
    public static bool IsProfileRead(HttpRequestMessage request) =>
        request.Method == HttpMethod.Get && request.RequestUri!.AbsolutePath.EndsWith("/profiles", StringComparison.Ordinal);

    public static bool Any(HttpRequestMessage request) => true;

    public static HttpResponseMessage TooManyRequests(TimeSpan retryAfter)
    {
        var response = Error(HttpStatusCode.TooManyRequests, "throttled", "Request was throttled.");
        response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(retryAfter);
        return response;
    }

    public static HttpResponseMessage ServiceUnavailable() =>
        Error(HttpStatusCode.ServiceUnavailable, "service_unavailable", "The service is temporarily unavailable. Please try again later.");

    /// <summary>200 with <paramref name="body"/> as is (HTML, broken JSON, a document of the wrong shape).</summary>
    public static HttpResponseMessage Ok(string body, string mediaType = "application/vnd.api+json") =>
        new(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, mediaType) };

    /// <summary>200 announcing <paramref name="body"/>'s full length, whose stream breaks half-way (a dropped connection).</summary>
    public static HttpResponseMessage Truncated(string body)
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        var content = new StreamContent(new BreakingStream(bytes[..(bytes.Length / 2)]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/vnd.api+json");
        content.Headers.ContentLength = bytes.Length;
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    /// <summary>Never answers (until the attempt timeout or the caller gives up).</summary>
    public static async Task<HttpResponseMessage> HangAsync(CancellationToken cancellationToken)
    {
        await Task.Delay(Timeout.Infinite, cancellationToken);
        throw new InvalidOperationException("unreachable");
    }

    private static HttpResponseMessage Error(HttpStatusCode status, string code, string detail) =>
        new(status)
        {
            Content = new StringContent(
                $$$"""{"errors":[{"id":"{{{Guid.NewGuid()}}}","status":{{{(int)status}}},"code":"{{{code}}}","title":"{{{detail}}}","detail":"{{{detail}}}","source":{}}]}""",
                Encoding.UTF8, "application/vnd.api+json"),
        };

    private sealed record Fault(Func<HttpRequestMessage, bool> When, Func<CancellationToken, Task<HttpResponseMessage>> Respond);

    private sealed class Handler(KlaviyoFaultInjector injector) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (injector._fault is { } fault && fault.When(request))
            {
                Interlocked.Increment(ref injector._injected);
                return fault.Respond(cancellationToken);
            }
            if (injector._loseAnswers is { } lose && lose(request))
            {
                return LoseAnswerAsync(request, cancellationToken);
            }
            return base.SendAsync(request, cancellationToken);
        }

        private async Task<HttpResponseMessage> LoseAnswerAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            // Not linked to the caller: the sandbox handles the request to the end even when the caller gives up first.
            using var answer = await base.SendAsync(request, CancellationToken.None);
            injector._lostAnswers.Enqueue(await answer.Content.ReadAsStringAsync(CancellationToken.None));
            Interlocked.Increment(ref injector._injected);
            return await HangAsync(cancellationToken);
        }
    }

    /// <summary>Yields its bytes, then fails as a connection reset mid-body does.</summary>
    private sealed class BreakingStream(byte[] head) : MemoryStream(head)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await base.ReadAsync(buffer, cancellationToken);
            return read > 0 ? read : throw new IOException("The response ended prematurely.");
        }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var read = base.Read(buffer, offset, count);
            return read > 0 ? read : throw new IOException("The response ended prematurely.");
        }
    }
}
