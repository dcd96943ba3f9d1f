using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

/// <summary>One request as the fake Klaviyo saw it.</summary>
internal sealed record RecordedRequest(
    HttpMethod Method,
    Uri Uri,
    IReadOnlyDictionary<string, string> Headers,
    string? Body,
    string? ContentType,
    TimeSpan At)
{
    public string Path => Uri.AbsolutePath;

    public System.Collections.Specialized.NameValueCollection Query => System.Web.HttpUtility.ParseQueryString(Uri.Query);

    public JsonElement Json => JsonDocument.Parse(Body ?? "null").RootElement;
}

/// <summary>The primary handler under the real registration: records requests and answers from a script.</summary>
internal sealed class FakeKlaviyoHandler(Func<RecordedRequest, int, HttpResponseMessage> respond) : HttpMessageHandler
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<RecordedRequest> _requests = [];

    /// <summary>How long to wait before answering request number n (observing cancellation, like a slow server).</summary>
    public Func<int, TimeSpan?>? DelayFor { get; set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return _requests.ToList();
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var recorded = new RecordedRequest(request.Method, request.RequestUri!, headers, body, request.Content?.Headers.ContentType?.MediaType, _clock.Elapsed);
        int index;
        lock (_requests)
        {
            index = _requests.Count;
            _requests.Add(recorded);
        }

        if (DelayFor?.Invoke(index) is { } delay)
        {
            await Task.Delay(delay, cancellationToken);
        }

        var response = respond(recorded, index);
        response.RequestMessage = request;
        return response;
    }

    public static HttpResponseMessage Json(string json, HttpStatusCode status = HttpStatusCode.OK, TimeSpan? retryAfter = null)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent(json, Encoding.UTF8, KlaviyoClient.JsonApiMediaType),
        };
        if (retryAfter is not null)
        {
            response.Headers.RetryAfter = new System.Net.Http.Headers.RetryConditionHeaderValue(retryAfter.Value);
        }

        return response;
    }

    public static HttpResponseMessage Error(HttpStatusCode status, string detail = "Something went wrong.", TimeSpan? retryAfter = null) =>
        Json("""{"errors":[{"id":"e1","code":"invalid","title":"Invalid input.","detail":""" + JsonSerializer.Serialize(detail) + ""","source":{"pointer":"/data"}}]}""", status, retryAfter);
}

/// <summary>Collects every log line (message, state and exception) at every level.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            owner.Lines.Enqueue($"{category} scope: {state}");
            return null;
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs ? string.Join(";", pairs.Select(p => $"{p.Key}={p.Value}")) : "";
            owner.Lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} | {values} | {exception}");
        }
    }
}

/// <summary>A ServiceCollection with the real AddKlaviyo and a fake primary handler.</summary>
internal sealed class KlaviyoTestHost : IDisposable
{
    public const string ApiKey = "pk_test_SECRET_0123456789";
    public const string BaseUrl = "https://klaviyo.test";

    private readonly ServiceProvider _provider;

    public KlaviyoTestHost(
        Func<RecordedRequest, int, HttpResponseMessage> respond,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        Handler = new FakeKlaviyoHandler(respond);
        var values = new Dictionary<string, string?>
        {
            ["Klaviyo:ApiKey"] = ApiKey,
            ["Klaviyo:BaseUrl"] = BaseUrl,
            ["Klaviyo:Revision"] = "2026-07-15",
            ["Klaviyo:RetryBaseDelay"] = "00:00:00.010",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        Configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Trace).AddProvider(Logs));
        configure?.Invoke(services);
        services.AddKlaviyo(Configuration);
        services.AddHttpClient(KlaviyoServiceCollectionExtensions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => Handler);
        _provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    public FakeKlaviyoHandler Handler { get; }

    public IConfigurationRoot Configuration { get; }

    public CapturingLoggerProvider Logs { get; } = new();

    public IServiceProvider Services => _provider;

    public IKlaviyoClient Client => _provider.GetRequiredService<IKlaviyoClient>();

    public KlaviyoClientStats Stats => _provider.GetRequiredService<KlaviyoClientStats>();

    public void Dispose() => _provider.Dispose();
}

/// <summary>JSON:API documents shaped like Klaviyo's answers (revision 2026-07-15), with extra members to ignore.</summary>
internal static class KlaviyoJson
{
    public static string Campaign(string id, string[] messageIds, string[] tagIds, string status = "Scheduled") => $$"""
        {
          "type": "campaign",
          "id": "{{id}}",
          "attributes": {
            "name": "Campaign {{id}}",
            "status": "{{status}}",
            "archived": false,
            "audiences": { "included": ["LIST1", "SEG1"], "excluded": ["LISTX"] },
            "send_options": { "use_smart_sending": true },
            "tracking_options": null,
            "send_strategy": { "method": "static", "datetime": "2026-12-01T15:00:00+00:00", "options": { "is_local": false } },
            "created_at": "2026-11-01T10:00:00+00:00",
            "scheduled_at": "2026-11-20T10:00:00+00:00",
            "updated_at": "2026-11-21T10:00:00+00:00",
            "send_time": "2026-12-01T15:00:00+00:00",
            "some_future_field": { "nested": [1, 2, 3] }
          },
          "relationships": {
            "campaign-messages": {
              "data": [{{string.Join(",", messageIds.Select(m => $$"""{"type":"campaign-message","id":"{{m}}"}"""))}}],
              "links": { "self": "https://a.klaviyo.com/api/campaigns/{{id}}/relationships/campaign-messages" }
            },
            "tags": { "data": [{{string.Join(",", tagIds.Select(t => $$"""{"type":"tag","id":"{{t}}"}"""))}}] }
          },
          "links": { "self": "https://a.klaviyo.com/api/campaigns/{{id}}" }
        }
        """;

    public static string Message(string id, string label, string subject, string? templateId = null) => $$"""
        {
          "type": "campaign-message",
          "id": "{{id}}",
          "attributes": {
            "definition": {
              "channel": "email",
              "label": "{{label}}",
              "content": { "subject": "{{subject}}", "preview_text": "Preview {{id}}", "from_email": "shop@example.com", "from_label": "Shop", "reply_to_email": null }
            },
            "send_times": [],
            "created_at": "2026-11-01T10:00:00+00:00"
          },
          "relationships": {
            "campaign": { "data": { "type": "campaign", "id": "C?" } }
            {{(templateId is null ? "" : $$""", "template": { "data": { "type": "template", "id": "{{templateId}}" } }""")}}
          },
          "links": { "self": "https://a.klaviyo.com/api/campaign-messages/{{id}}" }
        }
        """;

    public static string Tag(string id, string name) =>
        $$$"""{"type":"tag","id":"{{{id}}}","attributes":{"name":{{{JsonSerializer.Serialize(name)}}}},"links":{"self":"https://a.klaviyo.com/api/tags/{{{id}}}"}}""";

    public static string Profile(string id, string email, string joined = "2026-10-01T00:00:00+00:00") => $$"""
        {
          "type": "profile",
          "id": "{{id}}",
          "attributes": {
            "email": "{{email}}",
            "first_name": "Ada",
            "last_name": null,
            "location": { "city": "Lyon", "country": "France", "latitude": 45.7 },
            "properties": { "tier": "gold", "orders": 3, "vip": true, "meta": { "a": 1 } },
            "joined_group_at": "{{joined}}"
          },
          "links": { "self": "https://a.klaviyo.com/api/profiles/{{id}}" }
        }
        """;

    public static string Collection(IEnumerable<string> data, string? next = null, IEnumerable<string>? included = null) => $$"""
        {
          "data": [{{string.Join(",", data)}}],
          {{(included is null ? "" : $"\"included\": [{string.Join(",", included)}],")}}
          "links": { "self": "https://a.klaviyo.com/api/x"{{(next is null ? "" : $", \"next\": {JsonSerializer.Serialize(next)}")}} },
          "meta": { "count": 1 }
        }
        """;

    public static string Single(string data, IEnumerable<string>? included = null) =>
        "{\"data\": " + data + (included is null ? "" : $", \"included\": [{string.Join(",", included)}]") + """, "links": {"self": "https://a.klaviyo.com/api/x"}}""";

    public static string Template(string id, string html) =>
        Single($$$"""{"type":"template","id":"{{{id}}}","attributes":{"name":"T {{{id}}}","editor_type":"CODE","html":{{{JsonSerializer.Serialize(html)}}},"text":null,"created":null},"links":{"self":"x"}}""");

    public static string Account() =>
        Collection([
            """{"type":"account","id":"ACC1","attributes":{"test_account":false,"contact_information":{"default_sender_name":"Shop","default_sender_email":"shop@example.com","organization_name":"Example Shop","street_address":{}},"timezone":"UTC","preferred_currency":"EUR","public_api_key":"PUB","locale":"en-US"},"links":{"self":"x"}}""",
        ]);
}
