using System.Net;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Refly.Dashboard.Hosting;
using Refly.Tests.Integration.Automation;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>Security headers, host names and file modes in the app as tests run it (the published app: PublishedAppSecurityTests).</summary>
public sealed class HardeningTests : IClassFixture<DemoAppFixture>
{
    private readonly DemoAppFixture _app;

    public HardeningTests(DemoAppFixture app) => _app = app;

    [Fact]
    public async Task Pages_CarryTheSecurityHeaders_AndTheImportMapTheCspNonce()
    {
        using var client = _app.Factory.CreateCookieClient();
        using var response = await client.GetAsync("/account/login");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders(response, await response.Content.ReadAsStringAsync());
        Assert.False(response.Headers.Contains("Strict-Transport-Security"), "HSTS on plain HTTP");
    }

    [Theory]
    [InlineData("evil.test")]
    [InlineData("evil.test:80")]
    [InlineData("refly.example.com")]
    public async Task ForgedHost_IsRefused_AndNeverEchoed(string host)
    {
        using var client = _app.Factory.CreateCookieClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/marketing/campaigns");
        request.Headers.Host = host;
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        Assert.DoesNotContain(host.Split(':')[0], await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task OwnHost_SignInRedirect_IsRelative(string host)
    {
        using var client = _app.Factory.CreateCookieClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/marketing/campaigns");
        request.Headers.Host = $"{host}:{_app.Factory.ServerAddress.Port}";
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/account/login?returnUrl=%2Fmarketing%2Fcampaigns", response.Headers.Location!.OriginalString);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]
    public async Task DataFolder_IsCreated0700_AndTheDatabase0600()
    {
        var root = Directory.CreateTempSubdirectory("refly-modes-").FullName;
        var data = Path.Combine(root, "nested", "data");
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?> { ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(data, "refly.db")}" });
        _ = factory.ServerAddress;
        AssertPrivate(data, Path.Combine(data, "refly.db"), Path.Combine(data, "keys"));
    }

    [Fact]
    public void AllowedHosts_Default_AreLoopbackAndTheConfiguredUrlsHosts()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://refly.internal:5000;http://*:5001;http://[::1]:5002",
        }).Build();
        Assert.Equal(["localhost", "127.0.0.1", "[::1]", "refly.internal"], SecurityHostingExtensions.AllowedHosts(configuration));

        var configured = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["AllowedHosts"] = "refly.example.com; localhost" }).Build();
        Assert.Equal(["refly.example.com", "localhost"], SecurityHostingExtensions.AllowedHosts(configured));
    }

    /// <summary>The headers every page must carry; the CSP's nonce is the one the page's import map has.</summary>
    internal static void AssertSecurityHeaders(HttpResponseMessage response, string html)
    {
        Assert.False(response.Headers.Contains("Server"), "Server header: " + string.Join(",", response.Headers.TryGetValues("Server", out var s) ? s : []));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("strict-origin-when-cross-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")), ignoreCase: true);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        foreach (var directive in new[] { "default-src 'self'", "object-src 'none'", "frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "connect-src 'self'" })
        {
            Assert.Contains(directive, csp, StringComparison.Ordinal);
        }
        var scriptSrc = Regex.Match(csp, "script-src ([^;]*)").Groups[1].Value;
        Assert.DoesNotContain("unsafe-inline", scriptSrc, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", scriptSrc, StringComparison.Ordinal);
        var nonce = Regex.Match(scriptSrc, "'nonce-([^']+)'").Groups[1].Value;
        Assert.NotEmpty(nonce);
        var importMap = Regex.Match(html, "<script type=\"importmap\" nonce=\"([^\"]+)\"");
        Assert.True(importMap.Success, "the page's import map has no nonce");
        Assert.Equal(nonce, WebUtility.HtmlDecode(importMap.Groups[1].Value));
    }

    /// <summary>Owner-only modes on the data folder, the database (with its -wal/-shm) and the key ring.</summary>
    [UnsupportedOSPlatform("windows")]
    internal static void AssertPrivate(string dataFolder, string databaseFile, string keysFolder)
    {
        const UnixFileMode folder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(folder, File.GetUnixFileMode(dataFolder));
        Assert.Equal(folder, File.GetUnixFileMode(keysFolder));
        Assert.True(File.Exists(databaseFile));
        foreach (var path in new[] { databaseFile, databaseFile + "-wal", databaseFile + "-shm" }.Where(File.Exists))
        {
            Assert.True(File.GetUnixFileMode(path) == file, $"{Path.GetFileName(path)} is {File.GetUnixFileMode(path)}");
        }
    }
}
