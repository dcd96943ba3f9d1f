using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Refly.KlaviyoSandbox.Endpoints;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;

namespace Refly.KlaviyoSandbox;

/// <summary>
/// A fake Klaviyo account served over real HTTP on 127.0.0.1, speaking revision 2026-07-15 of Klaviyo's API as its
/// OpenAPI slices define it. Demo mode points the Klaviyo client at <see cref="BaseUrl"/>; tests start one per test
/// (or fixture) and shape its <see cref="Store"/> directly.
/// </summary>
public sealed class KlaviyoSandboxServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private KlaviyoSandboxServer(WebApplication app, SandboxStore store, string apiKey, Uri baseUrl)
    {
        _app = app;
        Store = store;
        ApiKey = apiKey;
        BaseUrl = baseUrl;
    }

    /// <summary>Scheme, host and port; the client appends /api/....</summary>
    public Uri BaseUrl { get; }

    /// <summary>The account's first private key, random per start; <see cref="SandboxStore.IssuePrivateKey"/> adds others.</summary>
    public string ApiKey { get; }

    public SandboxStore Store { get; }

    public static async Task<KlaviyoSandboxServer> StartAsync(KlaviyoSandboxOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var store = new SandboxStore(options);
        (options.Seed ?? SandboxSeeds.DemoWith(options.LargeListSize))(store);
        // Campaigns seeded as Sent have their events before the first request.
        _ = store.GetCampaignSends();
        var apiKey = store.IssuePrivateKey();
        var rateLimits = new SandboxRateLimits(options.RateLimitMultiplier, options.RateLimitTimeProvider);
        var pipeline = new SandboxPipeline(store, rateLimits);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = typeof(KlaviyoSandboxServer).Assembly.GetName().Name });
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
        app.MapTemplateRenderEndpoints(store);
        app.MapProfileEndpoints(store);
        app.MapGroupEndpoints(store);
        app.MapImportJobEndpoints(store);
        app.MapMetricEndpoints(store);
        app.MapEventEndpoints(store);
        app.MapReportingEndpoints(store);
        // Operations of the spec that the sandbox does not serve answer like Klaviyo's missing routes, never silently.
        app.MapFallback((HttpContext http) => KlaviyoErrorWriter.WriteAsync(http,
            new KlaviyoApiException(404, "not_found", "Not found.", $"{http.Request.Method} {http.Request.Path} is not served by the Refly sandbox.")));

        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var port = new Uri(address).Port;
        return new KlaviyoSandboxServer(app, store, apiKey, new Uri($"http://127.0.0.1:{port}"));
    }

    /// <summary>
    /// An HttpClient with the headers Klaviyo requires, for tests and tools; <paramref name="apiKey"/> (default
    /// <see cref="ApiKey"/>) may be another key of the account, e.g. a neighbouring integration's.
    /// </summary>
    public HttpClient CreateClient(string revision = Spec.SpecCatalog.Revision, string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = BaseUrl };
        client.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Klaviyo-API-Key {apiKey ?? ApiKey}");
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
        Store.DisposeTimers();
    }
}
