using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Refly.Dashboard.Sandbox;

namespace Refly.Tests.Support;

/// <summary>
/// The whole dashboard on real Kestrel (a free loopback port) with its own SQLite file in a temp folder, in demo
/// mode against the built-in sandbox unless a test says otherwise. Settings are passed as command-line style
/// configuration so they win over appsettings.json.
/// </summary>
public sealed class ReflyAppFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> _settings;

    public ReflyAppFactory(IDictionary<string, string?>? settings = null, string? dataFolder = null)
    {
        DataFolder = dataFolder ?? Directory.CreateTempSubdirectory("refly-test-").FullName;
        _settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(DataFolder, "refly.db")}",
            ["Automation:Tokens:0"] = AutomationToken,
            ["Logging:LogLevel:Default"] = "Warning",
            // The demo seed tags an A/B campaign; tests that are not about the tag trigger must not see tag runs appear.
            ["Triggers:PollInterval"] = "01:00:00",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }
        UseKestrel(0);
    }

    public const string AutomationToken = "test-automation-token-0123456789";

    public string DataFolder { get; }

    /// <summary>The sandbox the app started (demo mode).</summary>
    public KlaviyoSandbox Sandbox => Services.GetRequiredService<KlaviyoSandboxHost>().Current ?? throw new InvalidOperationException("Not in demo mode");

    /// <summary>The address Kestrel listens on, e.g. http://127.0.0.1:41234.</summary>
    public Uri ServerAddress
    {
        get
        {
            StartServer();
            var addresses = Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses;
            return new Uri(addresses.First());
        }
    }

    /// <summary>An HttpClient over real HTTP to the app.</summary>
    public HttpClient CreateHttpClient(string? bearerToken = null)
    {
        var client = new HttpClient { BaseAddress = ServerAddress };
        if (bearerToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearerToken);
        }
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        foreach (var (key, value) in _settings)
        {
            builder.UseSetting(key, value);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
