using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Refly.Core;
using Refly.Core.Campaigns;
using Refly.Core.Persistence;
using Refly.Core.Personalization;

namespace Refly.Bench;

/// <summary>Refly.Core composed exactly as the dashboard composes it (AddReflyCore), against the sandbox over HTTP.</summary>
internal sealed class ProductHost : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _folder;

    private ProductHost(IHost host, string folder)
    {
        _host = host;
        _folder = folder;
    }

    public T Get<T>() where T : notnull => _host.Services.GetRequiredService<T>();

    public static async Task<ProductHost> StartAsync(
        SandboxProcess sandbox, double rateLimitScale, int readConcurrency = 8, IReadOnlyDictionary<string, string?>? extraSettings = null)
    {
        var folder = Directory.CreateTempSubdirectory("refly-bench-").FullName;
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(folder, "refly.db")}",
            ["Klaviyo:BaseUrl"] = sandbox.BaseUrl.ToString(),
            ["Klaviyo:ApiKey"] = sandbox.ApiKey,
            ["Klaviyo:RateLimitScale"] = rateLimitScale.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Klaviyo:SyncInterval"] = "01:00:00",
            ["Personalization:ReadConcurrency"] = readConcurrency.ToString(System.Globalization.CultureInfo.InvariantCulture),
        });
        if (extraSettings is not null)
        {
            builder.Configuration.AddInMemoryCollection(extraSettings);
        }
        builder.Logging.ClearProviders();
        builder.Services.AddReflyCore(builder.Configuration);
        var host = builder.Build();
        await host.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        await host.StartAsync();
        await host.Services.GetRequiredService<CampaignSyncService>().SyncAsync(CancellationToken.None);
        return new ProductHost(host, folder);
    }

    public async Task<PersonalizationRun> StartRunAsync(string campaignId)
    {
        var campaign = await Get<CampaignQueryService>().FindAsync(campaignId, CancellationToken.None)
            ?? throw new InvalidOperationException($"Campaign {campaignId} was not synced.");
        var result = await Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(campaignId, [campaign.Messages[0].KlaviyoId], RunTrigger.Manual, "benchmark"), CancellationToken.None);
        return result.Run ?? throw new InvalidOperationException(result.ErrorMessage);
    }

    public async Task<PersonalizationRun> WaitForAsync(Guid runId, Func<PersonalizationRun, bool> condition, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var run = await Get<RunStore>().GetAsync(runId, CancellationToken.None) ?? throw new InvalidOperationException("Run vanished.");
            if (condition(run))
            {
                return run;
            }
            if (DateTime.UtcNow > until)
            {
                throw new TimeoutException($"Run {runId} is {run.State} after {timeout} ({run.Written:N0} written, error: {run.Error}).");
            }
            await Task.Delay(200); // the run times its own start and end; a slower poll keeps the benchmark's CPU out of the figures
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
