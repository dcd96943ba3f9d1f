using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using Refly.Core.Persistence;
using Refly.Core.Personalization;
using Refly.Dashboard.Hosting.Backup;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Operations;

public sealed class PublishedAppTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("refly-publish-").FullName;

    /// <summary>
    /// The README's deployment path end to end: publish self-contained, start with <c>dotnet Refly.Dashboard.dll</c>
    /// (configured only by environment variables, data outside the install folder), browse the campaigns page, back up
    /// while it runs, stop with SIGTERM, restore onto a fresh data folder and start again. One test: publishing is slow.
    /// The first start gets its address from <c>ASPNETCORE_URLS</c>, the second from <c>ASPNETCORE_HTTP_PORTS</c>.
    /// </summary>
    [Fact]
    public async Task Publish_RunBrowseBackUpStopRestore_AsTheReadmeDescribes()
    {
        var install = Path.Combine(_work, "install");
        await PublishAsync(install);
        Assert.True(File.Exists(Path.Combine(install, "appsettings.json")), "appsettings.json is not beside the app");
        Assert.True(File.Exists(Path.Combine(install, "libcoreclr.so")), "the publish is not self-contained");
        Assert.True(File.Exists(Path.Combine(install, "Refly.Dashboard.staticwebassets.endpoints.json")), "static asset endpoints are not published");

        var data = Path.Combine(_work, "data");
        var environment = Environment(data);
        string campaignsHealth;
        Guid runId;
        // Addressed the way containers and systemd units do it: ASPNETCORE_URLS must win over the built-in default.
        await using (var app = await PublishedApp.StartAsync(install, environment, listenVia: PublishedApp.ListenVia.AspNetCoreUrls))
        {
            await AssertCampaignsPageIsStyledAsync(app.Address);

            var health = await GetHealthAsync(app.Address);
            Assert.Equal("Healthy", health.GetProperty("status").GetString());
            foreach (var check in new[] { "database", "scheduler", "klaviyo" })
            {
                Assert.Equal("Healthy", health.GetProperty("checks").GetProperty(check).GetProperty("status").GetString());
            }
            campaignsHealth = health.GetProperty("checks").GetProperty("database").GetProperty("data").GetProperty("campaigns").ToString();
            Assert.NotEqual("0", campaignsHealth);

            // Online backup from a second process while the app runs.
            var backup = Path.Combine(_work, "backup");
            var (backupExit, backupOutput) = await PublishedApp.RunCommandAsync(install, environment, "backup", backup);
            Assert.True(backupExit == 0, backupOutput);
            Assert.True(File.Exists(Path.Combine(backup, ReflyBackup.DatabaseFileName)));
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(backup, ReflyBackup.KeysFolderName), "*.xml"));

            // A run in progress when SIGTERM arrives must stop at a checkpoint, not fail.
            runId = await StartDemoRunAsync(app.Address);

            var stopwatch = Stopwatch.StartNew();
            Assert.True(await app.TerminateAsync(TimeSpan.FromSeconds(60)), "the app did not stop on SIGTERM:\n" + app.Output);
            Assert.True(app.ExitCode == 0, $"exit code {app.ExitCode} after SIGTERM:\n{app.Output}");
            Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(30), $"stopping took {stopwatch.Elapsed}");
            Assert.Contains("Application is shutting down", app.Output);
            // Logging:Format=json: every log line is a JSON object.
            var logLines = app.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.All(logLines.Where(l => l.StartsWith('{')), l => JsonDocument.Parse(l).Dispose());
            Assert.Contains(logLines, l => l.StartsWith('{') && l.Contains("\"Category\"", StringComparison.Ordinal));
        }
        Assert.True(File.Exists(Path.Combine(data, "refly.db")), "the database is not in the data folder");
        await using (var db = new ReflyDbContext(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite($"Data Source={Path.Combine(data, "refly.db")};Pooling=False").Options))
        {
            var run = await db.Runs.AsNoTracking().SingleAsync(r => r.Id == runId);
            // InProgress is what RunRecovery resumes on the next start (the audience needs more import jobs than
            // Klaviyo's rate limit lets through before SIGTERM, see Environment).
            Assert.True(run.State == RunState.InProgress, $"run is {run.State} after SIGTERM: {run.Error}");
            Assert.True(run.Written > 0);
            Assert.True(run.Checkpoint.BatchNumber > 0, "no checkpoint saved");
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(data, "keys"), "*.xml"));
        Assert.False(File.Exists(Path.Combine(install, "data", "refly.db")), "the app wrote its database into the install folder");

        // A fresh box: restore the backup into an empty data folder, then start on it.
        var freshData = Path.Combine(_work, "fresh-data");
        var freshEnvironment = Environment(freshData);
        var (restoreExit, restoreOutput) = await PublishedApp.RunCommandAsync(install, freshEnvironment, "restore", Path.Combine(_work, "backup"));
        Assert.True(restoreExit == 0, restoreOutput);
        await using (var restored = await PublishedApp.StartAsync(install, freshEnvironment, listenVia: PublishedApp.ListenVia.AspNetCoreHttpPorts))
        {
            var health = await GetHealthAsync(restored.Address);
            Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
            Assert.True(await restored.TerminateAsync(TimeSpan.FromSeconds(60)), restored.Output);
        }
        Assert.Equal(
            Directory.GetFiles(Path.Combine(data, "keys"), "*.xml").Select(Path.GetFileName).Order(),
            Directory.GetFiles(Path.Combine(freshData, "keys"), "*.xml").Select(Path.GetFileName).Order());
    }

    private const string Token = "published-app-test-token-0123456789";

    private static async Task<Guid> StartDemoRunAsync(Uri address)
    {
        using var api = new HttpClient { BaseAddress = address };
        api.DefaultRequestHeaders.Authorization = new("Bearer", Token);
        var campaigns = await api.GetFromJsonAsync<JsonElement>("/api/v1/campaigns?status=Draft");
        var campaign = campaigns.GetProperty("items").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "Holiday gift guide (draft)");
        var messageId = campaign.GetProperty("messages")[0].GetProperty("id").GetString();
        using var start = await api.PostAsJsonAsync($"/api/v1/campaigns/{campaign.GetProperty("id").GetString()}/personalization", new { messageIds = new[] { messageId } });
        Assert.True(start.StatusCode == HttpStatusCode.Accepted, await start.Content.ReadAsStringAsync());
        var runId = (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var written = await CoreTestHost.WaitUntilAsync(async () =>
        {
            var run = await api.GetFromJsonAsync<JsonElement>($"/api/v1/runs/{runId}");
            return run.GetProperty("written").GetInt64() > 0;
        }, TimeSpan.FromSeconds(60));
        Assert.True(written, "the demo run wrote nothing within 60 s");
        return runId;
    }

    private static Dictionary<string, string> Environment(string dataFolder) => new()
    {
        ["Automation__Tokens__0"] = Token,
        // Slower demo Klaviyo and batches of 100 profiles, so the run is still going when SIGTERM arrives: the
        // newsletter's ~4,500 contacts then take ~45 import jobs, which bulk_import_profiles' limit (10 a second,
        // 150 a minute) spreads over more than 10 seconds after the first one is written.
        ["Sandbox__LatencyMilliseconds"] = "40",
        ["Personalization__MaxProfilesPerImportJob"] = "100",
        ["ConnectionStrings__Refly"] = $"Data Source={Path.Combine(dataFolder, "refly.db")}",
        ["Logging__Format"] = "json",
        ["Logging__LogLevel__Default"] = "Information",
    };

    private async Task PublishAsync(string output)
    {
        // Its own artifacts folder, so publishing never rewrites the build the other tests are running from.
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
                 {
                     "publish", Path.Combine("Refly.Dashboard", "Refly.Dashboard.csproj"), "-c", "Release", "-r", "linux-x64", "--self-contained",
                     "-o", output, "--artifacts-path", Path.Combine(_work, "artifacts"), "-nologo",
                 })
        {
            info.ArgumentList.Add(arg);
        }
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"dotnet publish failed:\n{await stdout}\n{await stderr}");
    }

    private static async Task AssertCampaignsPageIsStyledAsync(Uri address)
    {
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync();
        var response = await page.GotoAsync(new Uri(address, "/marketing/campaigns").ToString());
        Assert.True(response?.Ok, $"campaigns page answered {response?.Status}");
        // A fresh install asks for the first admin (README: first sign-in), then signs in and shows the campaigns.
        Assert.EndsWith("/setup", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        await page.Locator("#email").FillAsync("owner@example.com");
        await page.Locator("#password").FillAsync("published-app-0123");
        await page.Locator("#confirm").FillAsync("published-app-0123");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create admin and sign in" }).ClickAsync();
        await page.WaitForURLAsync("**/marketing/campaigns", new() { Timeout = 30_000 });
        var appBar = page.Locator(".mud-appbar").First;
        await appBar.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

        // MudBlazor's stylesheet makes the app bar a column flexbox; without it the element would be a plain block.
        var style = await appBar.EvaluateAsync<JsonElement>("e => { const s = getComputedStyle(e); return { display: s.display, direction: s.flexDirection }; }");
        Assert.Equal("flex", style.GetProperty("display").GetString());
        Assert.Equal("column", style.GetProperty("direction").GetString());
        // The interactive circuit works through the published app: the demo chip and a campaign row render.
        await page.GetByTestId("demo-mode").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
        await page.Locator(".mud-table-body .mud-table-row").First.WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });
    }

    private static async Task<JsonElement> GetHealthAsync(Uri address)
    {
        using var http = new HttpClient { BaseAddress = address };
        return await http.GetFromJsonAsync<JsonElement>("/health");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp clean-up.
        }
    }
}
