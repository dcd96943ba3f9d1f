using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Refly.Core;
using Refly.Core.Accounts;
using Refly.Core.Persistence;
using Refly.Core.Automation;
using Refly.Core.Klaviyo;
using Refly.Core.Settings;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Support;

/// <summary>
/// Refly.Core as the product composes it (real SQLite file with migrations, real Quartz, the typed Klaviyo client over
/// real HTTP) against a sandbox the test owns. <see cref="RestartAsync"/> stops the host and starts a new one on the
/// same database file, as a process restart would.
/// </summary>
public sealed class CoreTestHost : IAsyncDisposable
{
    private readonly Dictionary<string, string?> _settings;
    private readonly bool _withSettings;
    private readonly Action<IServiceCollection>? _configureServices;
    private bool _ownsSandbox = true;

    private CoreTestHost(KlaviyoSandboxServer sandbox, Dictionary<string, string?> settings, string dataFolder, bool withSettings, Action<IServiceCollection>? configureServices)
    {
        Sandbox = sandbox;
        _settings = settings;
        DataFolder = dataFolder;
        _withSettings = withSettings;
        _configureServices = configureServices;
    }

    public KlaviyoSandboxServer Sandbox { get; }

    public SandboxStore Store => Sandbox.Store;

    public string DataFolder { get; }

    public IHost Host { get; private set; } = null!;

    public IServiceProvider Services => Host.Services;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>
    /// Starts a sandbox (empty unless <paramref name="configureSandbox"/> seeds it) and the Core host against it;
    /// <paramref name="withSettings"/> adds the accounts database and <see cref="SettingsService"/> (settings saved in
    /// the UI), loaded at start as the app does. <paramref name="configureServices"/> runs after Core's registrations,
    /// on every start (restarts included): fault injection, fake logging.
    /// </summary>
    public static async Task<CoreTestHost> StartAsync(
        Action<KlaviyoSandboxOptions>? configureSandbox = null,
        IDictionary<string, string?>? settings = null,
        bool startScheduler = true,
        bool withSettings = false,
        Action<IServiceCollection>? configureServices = null)
    {
        var sandboxOptions = new KlaviyoSandboxOptions { Seed = SandboxSeeds.Empty, ImportJobDelay = TimeSpan.FromMilliseconds(100) };
        configureSandbox?.Invoke(sandboxOptions);
        var sandbox = await KlaviyoSandboxServer.StartAsync(sandboxOptions);
        var dataFolder = Directory.CreateTempSubdirectory("refly-core-").FullName;
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(dataFolder, "refly.db")}",
            ["Klaviyo:BaseUrl"] = sandbox.BaseUrl.ToString(),
            ["Klaviyo:ApiKey"] = sandbox.ApiKey,
            // Tests drive syncs themselves.
            ["Klaviyo:SyncInterval"] = "01:00:00",
            ["Triggers:PollInterval"] = "01:00:00",
            ["Personalization:BatchFlushInterval"] = "00:00:00.200",
            ["Personalization:ImportPollInterval"] = "00:00:00.050",
            ["Personalization:CampaignCheckInterval"] = "00:00:00.200",
            // Small windows so the tests exercise concurrent joined_group_at streams on small lists.
            ["Personalization:ProfilesPerWindow"] = "500",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            // "{DataFolder}" lets a test write its own connection string (e.g. with a short Default Timeout).
            all[key] = value?.Replace("{DataFolder}", dataFolder, StringComparison.Ordinal);
        }
        var host = new CoreTestHost(sandbox, all, dataFolder, withSettings, configureServices);
        try
        {
            await host.StartHostAsync(startScheduler);
        }
        catch (Exception)
        {
            // A host that failed to start (e.g. invalid options) still owns a running sandbox and a temp folder.
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    /// <summary>
    /// Stops the host (as a shutdown would) and starts a fresh one on the same sandbox: on the same SQLite file, or on
    /// the one in <paramref name="dataFolder"/> (e.g. a restored backup, as a new install would). The caller owns that folder.
    /// </summary>
    public async Task RestartAsync(string? dataFolder = null)
    {
        await StopHostAsync();
        if (dataFolder is not null)
        {
            _settings["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(dataFolder, "refly.db")}";
        }
        await StartHostAsync(startScheduler: true);
    }

    private async Task StartHostAsync(bool startScheduler)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(_settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddReflyCore(builder.Configuration);
        if (_withSettings)
        {
            builder.Services.AddAccounts(builder.Configuration);
            builder.Services.AddSettings(builder.Configuration);
            builder.Services.AddKlaviyoKeySettings();
            builder.Services.AddAutomation();
        }
        _configureServices?.Invoke(builder.Services);
        Host = builder.Build();
        await Host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        if (_withSettings)
        {
            await Host.Services.GetRequiredService<AccountsMigrator>().MigrateAsync(CancellationToken.None);
            await Host.Services.GetRequiredService<SettingsService>().LoadAsync(CancellationToken.None);
            await Host.Services.GetRequiredService<AutomationTokenService>().LoadAsync(CancellationToken.None);
        }
        if (startScheduler)
        {
            await Host.StartAsync();
        }
    }

    /// <summary>Stops the host as a shutdown would (leases released); the sandbox keeps running until disposal.</summary>
    public Task StopAsync() => StopHostAsync();

    private async Task StopHostAsync()
    {
        if (Host is null)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Host.StopAsync(timeout.Token);
        Host.Dispose();
        Host = null!;
        SqliteConnection.ClearAllPools();
    }

    /// <summary>
    /// Starts another instance on the same sandbox and database file, as a second process of the app would be (its own
    /// scheduler and lease owner id), with <paramref name="settings"/> on top of this host's. Disposing it stops only it.
    /// </summary>
    public async Task<CoreTestHost> StartAnotherInstanceAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>(_settings);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }
        var other = new CoreTestHost(Sandbox, all, DataFolder, _withSettings, _configureServices) { _ownsSandbox = false };
        await other.StartHostAsync(startScheduler: true);
        return other;
    }

    /// <summary>Polls until <paramref name="condition"/> holds or the timeout passes; returns whether it held.</summary>
    public static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (await condition())
            {
                return true;
            }
            await Task.Delay(50);
        }
        return await condition();
    }

    public async ValueTask DisposeAsync()
    {
        await StopHostAsync();
        if (!_ownsSandbox)
        {
            return;
        }
        await Sandbox.DisposeAsync();
        try
        {
            Directory.Delete(DataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by the OS; the temp folder is cleaned by the system later.
        }
    }
}
