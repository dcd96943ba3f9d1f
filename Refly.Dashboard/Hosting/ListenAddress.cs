namespace Refly.Dashboard.Hosting;

/// <summary>
/// The dashboard's default listen address, applied only when the host was given none. ASP.NET Core's own ways to set
/// the address (<c>Urls</c> in any configuration source, <c>ASPNETCORE_URLS</c>/<c>DOTNET_URLS</c>,
/// <c>ASPNETCORE_HTTP_PORTS</c>/<c>HTTPS_PORTS</c>, <c>Kestrel:Endpoints</c>) therefore keep working: containers,
/// systemd units and hosting guides set them. A <c>Urls</c> value in appsettings.json would silently win over the
/// <c>ASPNETCORE_</c> variables, which the host reads before the file.
/// </summary>
public static class ListenAddress
{
    public const string DefaultUrls = "http://localhost:5000";

    /// <summary>Whether <paramref name="configuration"/> says nothing about where to listen.</summary>
    public static bool IsUnset(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return string.IsNullOrWhiteSpace(configuration[WebHostDefaults.ServerUrlsKey]) &&
            string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpPortsKey]) &&
            string.IsNullOrWhiteSpace(configuration[WebHostDefaults.HttpsPortsKey]) &&
            !configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
    }

    /// <summary>Listens on <see cref="DefaultUrls"/> unless the configuration names an address.</summary>
    public static void UseDefaultUnlessConfigured(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (IsUnset(builder.Configuration))
        {
            builder.WebHost.UseUrls(DefaultUrls);
        }
    }
}
