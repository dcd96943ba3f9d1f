using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Refly.ModelSandbox.Capacity;
using Refly.ModelSandbox.Http;

namespace Refly.ModelSandbox;

/// <summary>
/// A stand-in for a self-hosted model server (vLLM, Ollama) over real HTTP on 127.0.0.1: OpenAI-compatible
/// <c>/v1/chat/completions</c> and <c>/v1/models</c>, with the capacity of the chosen <see cref="ModelProfile"/>
/// (sequences, shared output tokens/s, time to first token, a bounded queue, 429 with Retry-After beyond it), JSON
/// answers valid for the request's schema, and <see cref="Faults"/> switches. Demo mode points the LLM personalizer at
/// <see cref="Endpoint"/>; tests start one per test and read <see cref="Counters"/>.
/// </summary>
public sealed class ModelSandboxServer : IAsyncDisposable
{
    /// <summary>The model id of the built-in demo model.</summary>
    public const string DemoModelId = "refly-demo-8b";

    private readonly WebApplication _app;
    private readonly CapacityModel _capacity;
    private readonly Random _dice;
    private readonly Lock _diceLock = new();
    private readonly ConcurrentQueue<ModelSandboxRequest> _requests = new();
    private int _disposed;

    private ModelSandboxServer(WebApplication app, CapacityModel capacity, ModelSandboxOptions options, ModelSandboxCounters counters)
    {
        _app = app;
        _capacity = capacity;
        Counters = counters;
        ModelId = options.ModelId;
        ApiKey = options.ApiKey;
        Seed = options.Seed;
        TimeScale = options.TimeScale;
        _dice = new Random(options.Seed);
    }

    /// <summary>Scheme, host and port.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The OpenAI-compatible base URL (<see cref="BaseUrl"/> + <c>/v1</c>), what a client's endpoint setting takes.</summary>
    public Uri Endpoint => new(BaseUrl, "/v1");

    /// <summary>The model id listed by <c>GET /v1/models</c>.</summary>
    public string ModelId { get; }

    /// <summary>The key requests must carry, or null when any (or none) is accepted.</summary>
    public string? ApiKey { get; }

    /// <summary>The capacity in force.</summary>
    public ModelProfile Profile => _capacity.Profile;

    /// <summary>Simulated seconds per real second.</summary>
    public double TimeScale { get; }

    /// <summary>Fault and bad-output switches; change them at any time.</summary>
    public ModelFaults Faults { get; } = new();

    public ModelSandboxCounters Counters { get; }

    /// <summary>The last 10,000 requests (model, key presented, prompt), oldest first: tests check what reached the model.</summary>
    public IReadOnlyCollection<ModelSandboxRequest> Requests => _requests;

    internal int Seed { get; }

    public static async Task<ModelSandboxServer> StartAsync(ModelSandboxOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var counters = new ModelSandboxCounters();
        var capacity = new CapacityModel(options.ResolveProfile(), options.TimeScale, counters);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(ModelSandboxServer).Assembly.GetName().Name });
        // Self-contained like the Klaviyo sandbox: the host app's configuration and logging must not leak in.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = 8 * 1024 * 1024;
        });
        var app = builder.Build();
        var server = new ModelSandboxServer(app, capacity, options, counters);
        app.MapChatCompletionEndpoints(server, capacity);
        app.MapFallback((HttpContext http) => Results.Json(
            new { error = new { message = $"{http.Request.Method} {http.Request.Path} is not served by the Refly model sandbox.", type = "invalid_request_error", param = (string?)null, code = "not_found" } },
            statusCode: 404));
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await capacity.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUrl = new Uri($"http://127.0.0.1:{new Uri(address).Port}");
        return server;
    }

    /// <summary>
    /// Freezes the simulated clock (no sequence progresses) until disposed, while requests are still admitted, queued or
    /// refused: a test fills the server and looks at it standing still.
    /// </summary>
    public IDisposable Hold() => _capacity.Hold();

    internal double Dice()
    {
        lock (_diceLock)
        {
            return _dice.NextDouble();
        }
    }

    internal void Record(ModelSandboxRequest request)
    {
        _requests.Enqueue(request);
        while (_requests.Count > 10_000 && _requests.TryDequeue(out _))
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        // The simulation first: requests waiting for a sequence end, so Kestrel's stop does not wait for them.
        await _capacity.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>One chat completion request as the stand-in received it.</summary>
/// <param name="Model">The model id asked for.</param>
/// <param name="ApiKey">The bearer key presented, or null.</param>
/// <param name="Prompt">The messages' text, joined.</param>
/// <param name="StructuredOutput">Whether the request asked for JSON (<c>json_schema</c> or <c>json_object</c>).</param>
public sealed record ModelSandboxRequest(string Model, string? ApiKey, string Prompt, bool StructuredOutput);
