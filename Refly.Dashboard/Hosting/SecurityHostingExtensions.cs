using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using NetEscapades.AspNetCore.SecurityHeaders;

namespace Refly.Dashboard.Hosting;

/// <summary>
/// What an operator expects of a web app on the internet: security headers on every answer (a Content-Security-Policy
/// Blazor Server and MudBlazor work under, HSTS on HTTPS), no Server header, and only known host names served, so a
/// forged Host or X-Forwarded-Host is refused and never echoed into a link or redirect.
/// </summary>
internal static class SecurityHostingExtensions
{
    /// <summary>Configuration key of the host names served (';'-separated, as ASP.NET Core's host filtering reads it).</summary>
    public const string AllowedHostsKey = "AllowedHosts";

    public static void AddReflySecurity(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);

        // ASP.NET Core's host filtering (on by default, first in the pipeline) reads AllowedHosts; without one Refly
        // serves its own names instead of "*".
        services.AddOptions<HostFilteringOptions>().Configure<IConfiguration>((options, configuration) =>
        {
            options.AllowedHosts = AllowedHosts(configuration);
            options.AllowEmptyHosts = false;
        });
        // A proxy's X-Forwarded-Host is taken only when it names one of those hosts.
        services.AddOptions<ForwardedHeadersOptions>().Configure<IConfiguration>((options, configuration) =>
            options.AllowedHosts = AllowedHosts(configuration).Where(h => h != "*").ToList());

        services.AddSecurityHeaderPolicies().SetDefaultPolicy(policy => policy
            .AddDefaultSecurityHeaders()
            // Only on HTTPS answers (behind a TLS proxy with forwarded headers on), never for localhost.
            .AddStrictTransportSecurityMaxAge()
            .AddReferrerPolicyStrictOriginWhenCrossOrigin()
            .AddContentSecurityPolicy(csp =>
            {
                csp.AddDefaultSrc().Self();
                // Blazor's import map is the one inline script: it carries the request's nonce (App.razor).
                csp.AddScriptSrc().Self().WithNonce();
                // MudBlazor renders style attributes and its theme's <style> element; styles cannot run code.
                csp.AddStyleSrc().Self().UnsafeInline();
                csp.AddImgSrc().Self().Data();
                csp.AddFontSrc().Self().Data();
                // The Blazor circuit's WebSocket is same-origin ('self' covers ws:/wss: of this host).
                csp.AddConnectSrc().Self();
                csp.AddObjectSrc().None();
                csp.AddBaseUri().Self();
                csp.AddFormAction().Self();
                csp.AddFrameAncestors().None();
            }));
    }

    /// <summary>
    /// <c>AllowedHosts</c> when configured (e.g. <c>refly.example.com;localhost</c>; <c>*</c> turns the check off), else
    /// localhost, 127.0.0.1, [::1] and the host names of <c>Urls</c> and the Kestrel endpoints.
    /// </summary>
    public static IList<string> AllowedHosts(IConfiguration configuration)
    {
        var configured = configuration[AllowedHostsKey];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }
        var urls = (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        var hosts = new List<string> { "localhost", "127.0.0.1", "[::1]" };
        foreach (var url in urls)
        {
            // Wildcard bindings (http://*:5000, http://+:5000, http://0.0.0.0:5000) name no host: AllowedHosts must.
            var host = url.Replace("://*", "://wildcard", StringComparison.Ordinal).Replace("://+", "://wildcard", StringComparison.Ordinal);
            if (Uri.TryCreate(host, UriKind.Absolute, out var uri) && uri.Host is not ("wildcard" or "0.0.0.0" or "[::]"))
            {
                var name = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
                if (!hosts.Contains(name, StringComparer.OrdinalIgnoreCase))
                {
                    hosts.Add(name);
                }
            }
        }
        return hosts;
    }

    /// <summary>First in the pipeline, so every answer (errors and static files included) carries the headers.</summary>
    public static void UseReflySecurityHeaders(this WebApplication app)
    {
        app.UseSecurityHeaders();
        app.Logger.LogInformation("Serving host names: {Hosts} (set {Key} to change)",
            string.Join(", ", AllowedHosts(app.Configuration)), AllowedHostsKey);
    }
}
