using Refly.Dashboard.Hosting;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Refly.Core.Accounts;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Bench;

/// <summary>
/// Live-update fan-out: N dashboard circuits (Chromium pages) watch 20 running campaigns while their progress
/// changes through <see cref="RunStore"/> (the same call the pipeline makes after each batch). For every value a page
/// renders, the latency is the time from the change being saved to the row showing it.
/// </summary>
internal static class FanOutBenchmark
{
    private const int Campaigns = 20;
    private const string NamePrefix = "Fan-out";
    private const string BenchEmail = "bench@refly.test";
    private const string BenchPassword = "bench-password-0123";

    public static async Task<string> RunAsync(int circuits, TimeSpan duration)
    {
        await using var app = new DashboardApp();
        var baseUrl = app.Start();
        var runIds = await SeedRunningCampaignsAsync(app);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            // 50 pages as 50 renderer processes would starve two cores before the server is measured: pages share a
            // few renderers (each page is still its own Blazor circuit with its own SignalR connection).
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--renderer-process-limit=4"],
        });
        // One signed-in browser context: every page is its own Blazor circuit sharing the sign-in cookie.
        await app.Services.GetRequiredService<AccountService>().CreateUserAsync(new NewUser(BenchEmail, BenchPassword, Roles.Admin));
        var context = await browser.NewContextAsync(new() { BaseURL = baseUrl.ToString() });
        var signIn = await context.NewPageAsync();
        await signIn.GotoAsync("account/login");
        await signIn.Locator("#email").FillAsync(BenchEmail);
        await signIn.Locator("#password").FillAsync(BenchPassword);
        await signIn.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await signIn.WaitForURLAsync("**/marketing/campaigns");
        await signIn.CloseAsync();

        var pages = new List<IPage>();
        for (var i = 0; i < circuits; i++)
        {
            var page = await context.NewPageAsync();
            await page.GotoAsync(new Uri(baseUrl, "marketing/campaigns").ToString(), new() { Timeout = 120_000 });
            // Typing only works once the circuit is interactive: retry until the filter shows the 20 rows.
            var rows = page.Locator("[data-written]");
            for (var attempt = 0; attempt < 60 && await rows.CountAsync() < Campaigns; attempt++)
            {
                await page.GetByPlaceholder("Search campaigns").FillAsync(NamePrefix);
                await page.WaitForTimeoutAsync(500);
            }
            if (await rows.CountAsync() < Campaigns)
            {
                await page.ScreenshotAsync(new() { Path = "/tmp/fanout-failure.png" });
                throw new InvalidOperationException($"The page shows {await rows.CountAsync()} of {Campaigns} running campaigns (screenshot /tmp/fanout-failure.png).");
            }
            await page.EvaluateAsync(ObserverScript);
            pages.Add(page);
        }

        var store = app.Services.GetRequiredService<RunStore>();
        var changedAt = new Dictionary<(string Run, long Written), long>();
        var written = runIds.ToDictionary(id => id, _ => 0L);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var browserCpuBefore = BrowserCpuSeconds();
        var clock = Stopwatch.StartNew();
        var next = 0;
        while (clock.Elapsed < duration)
        {
            // One progress change every 50 ms, round robin: each campaign moves about once a second, like a run
            // confirming a batch a second.
            var id = runIds[next++ % runIds.Count];
            written[id] += 100;
            var value = written[id];
            await store.UpdateAsync(id, [RunState.InProgress], r => r.Written = value, CancellationToken.None);
            changedAt[(id.ToString(), value)] = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await Task.Delay(50);
        }
        await Task.Delay(1500); // let the last renders arrive
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / clock.Elapsed.TotalSeconds;
        var browserCpu = (BrowserCpuSeconds() - browserCpuBefore) / clock.Elapsed.TotalSeconds;

        var latencies = new List<double>();
        var missed = 0;
        foreach (var page in pages)
        {
            var seen = Read(await page.EvaluateAsync<System.Text.Json.JsonElement>("() => window.__reflySeen"));
            foreach (var s in seen)
            {
                if (changedAt.TryGetValue((s.Run.ToUpperInvariant(), s.Written), out var at) || changedAt.TryGetValue((s.Run, s.Written), out at))
                {
                    latencies.Add(s.At - at);
                }
            }
            var lastShown = Read(await page.EvaluateAsync<System.Text.Json.JsonElement>("() => window.__reflyLast()"));
            // Rows of other campaigns (a page whose search had not applied yet) are not the benchmark's.
            missed += lastShown.Count(s => written.Any(w => string.Equals(w.Key.ToString(), s.Run, StringComparison.OrdinalIgnoreCase) && w.Value != s.Written));
        }
        latencies.Sort();
        double Percentile(double p) => latencies.Count == 0 ? double.NaN : latencies[Math.Min(latencies.Count - 1, (int)(p * latencies.Count))];
        return string.Create(CultureInfo.InvariantCulture,
            $"| {circuits} | {Campaigns} | {changedAt.Count} | {latencies.Count} | {Percentile(0.5):0} ms | {Percentile(0.95):0} ms | {Percentile(1.0):0} ms | {cpu * 100:0}% of a core | {browserCpu * 100:0}% of a core | {missed} |");
    }

    /// <summary>CPU seconds used so far by the Chromium processes (they share the machine's two cores with the server).</summary>
    private static double BrowserCpuSeconds()
    {
        var ticksPerSecond = 100.0; // USER_HZ on Linux
        var total = 0.0;
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(folder, "comm")).StartsWith("chrom", StringComparison.Ordinal))
                {
                    continue;
                }
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / ticksPerSecond;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                // Not a process folder, or the process ended meanwhile.
            }
        }
        return total;
    }

    /// <summary>20 campaigns in the sandbox, synced, each with a run in progress that nothing else moves.</summary>
    private static async Task<List<Guid>> SeedRunningCampaignsAsync(DashboardApp app)
    {
        var sandbox = app.Services.GetRequiredService<KlaviyoSandboxHost>().Current ?? throw new InvalidOperationException("Demo mode expected.");
        var list = sandbox.Store.AddList("Fan-out audience", 1_000);
        for (var i = 0; i < Campaigns; i++)
        {
            sandbox.Store.AddCampaign($"{NamePrefix} {i:00}", CampaignStatuses.Draft, DateTimeOffset.UtcNow.AddDays(2),
                [new MessageSeed("Email", "Hello", "Preview", "<html><body><p>Hi</p></body></html>")], [list.Id]);
        }
        await app.Services.GetRequiredService<CampaignSyncService>().SyncAsync(CancellationToken.None);
        var campaigns = await app.Services.GetRequiredService<CampaignQueryService>()
            .QueryAsync(new CampaignQuery(NamePrefix, Take: 100), CancellationToken.None);
        var store = app.Services.GetRequiredService<RunStore>();
        var ids = new List<Guid>();
        foreach (var campaign in campaigns.Items)
        {
            var run = new PersonalizationRun
            {
                Id = Guid.NewGuid(),
                CampaignId = campaign.Id,
                CampaignKlaviyoId = campaign.KlaviyoId,
                MessageIds = [campaign.Messages[0].KlaviyoId],
                State = RunState.InProgress,
                CreatedAt = DateTimeOffset.UtcNow,
                StartedAt = DateTimeOffset.UtcNow,
                TotalEstimate = 10_000_000,
                StartedBy = "benchmark",
            };
            await store.AddAsync(run, "Benchmark run", "benchmark", CancellationToken.None);
            ids.Add(run.Id);
        }
        return ids;
    }

    private const string ObserverScript = """
        () => {
          window.__reflySeen = [];
          const record = el => window.__reflySeen.push({ run: el.dataset.runId, written: Number(el.dataset.written), at: Date.now() });
          new MutationObserver(changes => {
            for (const c of changes) {
              if (c.type === 'attributes' && c.attributeName === 'data-written') record(c.target);
              else for (const n of c.addedNodes) if (n.querySelectorAll) n.querySelectorAll('[data-written]').forEach(record);
            }
          }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-written'] });
          window.__reflyLast = () => Array.from(document.querySelectorAll('[data-written]')).map(el => ({ run: el.dataset.runId, written: Number(el.dataset.written), at: 0 }));
        }
        """;

    private sealed record SeenValue(string Run, long Written, long At);

    private static List<SeenValue> Read(System.Text.Json.JsonElement array) =>
        array.EnumerateArray()
            .Select(e => new SeenValue(e.GetProperty("run").GetString() ?? "", (long)e.GetProperty("written").GetDouble(), (long)e.GetProperty("at").GetDouble()))
            .ToList();

    /// <summary>The dashboard in this process on Kestrel, demo mode, its own SQLite file.</summary>
    // Any public type of the Dashboard assembly names the entry point; the bench has its own Program.
    private sealed class DashboardApp : WebApplicationFactory<Refly.Dashboard.Hosting.DemoModeInfo>
    {
        private readonly string _folder = Directory.CreateTempSubdirectory("refly-fanout-").FullName;

        public DashboardApp() => UseKestrel(0);

        public Uri Start()
        {
            StartServer();
            return new Uri(Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First() + "/");
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Development");
            builder.UseSetting("ConnectionStrings:Refly", $"Data Source={Path.Combine(_folder, "refly.db")}");
            builder.UseSetting("Sandbox:LargeListSize", "2000");
            builder.UseSetting("Logging:LogLevel:Default", "Warning");
        }
    }
}
