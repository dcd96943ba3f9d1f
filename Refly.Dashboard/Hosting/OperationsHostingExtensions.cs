using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Refly.Core.Observability;
using Refly.Dashboard.Hosting.Health;

namespace Refly.Dashboard.Hosting;

/// <summary>
/// What an operator of the single box needs: the data folder (database and Data Protection keys), graceful shutdown,
/// systemd integration, /health, OpenTelemetry export over OTLP, JSON logs and forwarded headers behind a reverse proxy.
/// </summary>
internal static class OperationsHostingExtensions
{
    public const string HealthPath = "/health";

    public static void AddReflyOperations(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;

        // From the final configuration; Data Protection itself is registered once, by Core's AddSettings.
        services.AddSingleton(provider => DataFolders.From(provider.GetRequiredService<IConfiguration>()));

        // Long enough for jobs to stop at their next await and save progress (Quartz waits for them); systemd's
        // TimeoutStopSec must be longer still.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = configuration.GetValue("Hosting:ShutdownTimeout", TimeSpan.FromSeconds(60)));
        // Type=notify readiness and journald-friendly log lines when started by systemd; no-op otherwise.
        builder.Host.UseSystemd();

        if (string.Equals(configuration["Logging:Format"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.IncludeScopes = true;
            });
        }

        services.AddSingleton<KlaviyoHealthCheck>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<SchedulerHealthCheck>("scheduler")
            .AddCheck<KlaviyoHealthCheck>("klaviyo");

        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
            // The proxy runs on the same box (loopback is trusted by default); ForwardedHeaders:KnownProxies adds others.
            foreach (var proxy in configuration.GetSection("ForwardedHeaders:KnownProxies").Get<string[]>() ?? [])
            {
                o.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
            }
        });

        AddOpenTelemetry(builder);
    }

    public static void UseReflyOperations(this WebApplication app)
    {
        if (app.Configuration.GetValue("ForwardedHeaders:Enabled", false))
        {
            app.UseForwardedHeaders();
        }
    }

    /// <summary>/health stays open to anonymous callers (load balancers, systemd watchdogs); it shows no secrets.</summary>
    public static void MapReflyOperations(this WebApplication app) =>
        app.MapHealthChecks(HealthPath, new Microsoft.AspNetCore.Diagnostics.HealthChecks.HealthCheckOptions
        {
            ResponseWriter = HealthResponseWriter.WriteAsync,
        }).AllowAnonymous();

    /// <summary>
    /// Metrics and traces are exported over OTLP only when an endpoint is configured (<c>OpenTelemetry:Endpoint</c> or
    /// the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>); otherwise nothing is collected beyond the in-process meters.
    /// </summary>
    private static void AddOpenTelemetry(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var endpoint = configuration["OpenTelemetry:Endpoint"];
        var standardEndpoint = configuration["OTEL_EXPORTER_OTLP_ENDPOINT"];
        if (string.IsNullOrWhiteSpace(endpoint) && string.IsNullOrWhiteSpace(standardEndpoint))
        {
            return;
        }

        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(configuration["OpenTelemetry:ServiceName"] ?? "refly-dashboard"))
            .WithMetrics(metrics => metrics
                .AddMeter(ReflyMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(ReflyMetrics.MeterName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments(HealthPath))
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation());

        if (string.IsNullOrWhiteSpace(endpoint))
        {
            // The OTEL_EXPORTER_OTLP_* environment variables configure the exporter.
            otel.UseOtlpExporter();
        }
        else
        {
            var protocol = string.Equals(configuration["OpenTelemetry:Protocol"], "http/protobuf", StringComparison.OrdinalIgnoreCase)
                ? OtlpExportProtocol.HttpProtobuf
                : OtlpExportProtocol.Grpc;
            otel.UseOtlpExporter(protocol, new Uri(endpoint));
        }
    }
}
