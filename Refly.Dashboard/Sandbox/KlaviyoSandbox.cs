using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Refly.Dashboard.Sandbox.Endpoints;
using Refly.Dashboard.Sandbox.Http;
using Refly.Dashboard.Sandbox.JsonApi;
using Refly.Dashboard.Sandbox.Store;

namespace Refly.Dashboard.Sandbox;

/// <summary>
/// A fake Klaviyo account served over real HTTP on 127.0.0.1, speaking revision 2026-07-15 of Klaviyo's API as its
/// OpenAPI slices define it. Demo mode points the Klaviyo client at <see cref="BaseUrl"/>; tests start one per test
/// (or fixture) and shape its <see cref="Store"/> directly.
/// </summary>
public sealed class KlaviyoSandbox : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxRateLimits _rateLimits;
    private int _disposed;

    private KlaviyoSandbox(WebApplication app, SandboxRateLimits rateLimits, SandboxStore store, string apiKey, Uri baseUrl)
    {
        _app = app;
        _rateLimits = rateLimits;
        Store = store;
        ApiKey = apiKey;
        BaseUrl = baseUrl;
    }

    /// <summary>Scheme, host and port; the client appends /api/....</summary>
    public Uri BaseUrl { get; }

    /// <summary>The private key accepted by this instance, random per start.</summary>
    public string ApiKey { get; }

    public SandboxStore Store { get; }

    public static async Task<KlaviyoSandbox> StartAsync(KlaviyoSandboxOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var store = new SandboxStore(options);
        (options.Seed ?? SandboxSeeds.DemoWith(options.LargeListSize))(store);
        var apiKey = "pk_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(17)).ToLowerInvariant();
        var rateLimits = new SandboxRateLimits(options.RateLimitMultiplier);
        var pipeline = new SandboxPipeline(store, rateLimits, apiKey);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(KlaviyoSandbox).Assembly.GetName().Name });
        // The sandbox is self-contained: the app's appsettings/environment (Urls, Kestrel endpoints, logging) must not leak in.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, options.Port);
            k.Limits.MaxRequestBodySize = SandboxPipeline.MaxBodyBytes * 2L;
        });
        var app = builder.Build();
        app.Use(pipeline.InvokeAsync);
        app.MapAccountEndpoints(store);
        app.MapCampaignEndpoints(store);
        app.MapCampaignMessageEndpoints(store);
        app.MapSendJobEndpoints(store);
        app.MapTagEndpoints(store);
        app.MapTemplateEndpoints(store);
        app.MapGroupEndpoints(store);
        app.MapImportJobEndpoints(store);
        // Operations of the spec that the sandbox does not serve answer like Klaviyo's missing routes, never silently.
        app.MapFallback((HttpContext http) => KlaviyoErrorWriter.WriteAsync(http,
            new KlaviyoApiException(404, "not_found", "Not found.", $"{http.Request.Method} {http.Request.Path} is not served by the Refly sandbox.")));

        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        return new KlaviyoSandbox(app, rateLimits, store, apiKey, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>An HttpClient with the headers Klaviyo requires, for tests and tools.</summary>
    public HttpClient CreateClient(string revision = Spec.SpecCatalog.Revision)
    {
        var client = new HttpClient { BaseAddress = BaseUrl };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Klaviyo-API-Key {ApiKey}");
        client.DefaultRequestHeaders.TryAddWithoutValidation("revision", revision);
        client.DefaultRequestHeaders.TryAddWithoutValidation("accept", KlaviyoErrorWriter.JsonApiMediaType);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        // The hosted wrapper may stop it and the container dispose it; the second call is a no-op.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        await _app.StopAsync();
        await _app.DisposeAsync();
        _rateLimits.Dispose();
        Store.DisposeTimers();
    }
}
