using System.Diagnostics;
using System.Net;
using System.Runtime.Versioning;
using Refly.Tests.Integration.Security;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Operations;

/// <summary>
/// The hardening an operator expects, checked on the published app started as a service starts it (outside
/// systemd: no UMask), behind a reverse proxy that forwards headers: security headers, HSTS on HTTPS, no Server
/// header, forged Host and X-Forwarded-Host refused or ignored, relative redirects, private data files, and the
/// automation API answering as an API. One published app for all checks: publishing is slow.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class PublishedAppSecurityTests : IAsyncLifetime
{
    private const string Token = "published-security-test-token-0123456789";
    private const string PublicHost = "refly.example.test";
    private readonly string _work = Directory.CreateTempSubdirectory("refly-publish-security-").FullName;
    private PublishedApp _app = null!;

    private string DataFolder => Path.Combine(_work, "data");

    public async Task InitializeAsync()
    {
        var install = Path.Combine(_work, "install");
        await PublishAsync(install);
        _app = await PublishedApp.StartAsync(install, new Dictionary<string, string>
        {
            ["Automation__Tokens__0"] = Token,
            ["ConnectionStrings__Refly"] = $"Data Source={Path.Combine(DataFolder, "refly.db")}",
            ["ForwardedHeaders__Enabled"] = "true",
            ["AllowedHosts"] = $"{PublicHost};localhost;127.0.0.1",
        });
    }

    [Fact]
    public async Task PublishedApp_HoldsAgainstForgedHostsAndCarriesTheHardening()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = _app.Address };

        // Headers on a page, over plain HTTP: no HSTS there.
        using (var setup = await http.GetAsync("/setup"))
        {
            Assert.Equal(HttpStatusCode.OK, setup.StatusCode);
            HardeningTests.AssertSecurityHeaders(setup, await setup.Content.ReadAsStringAsync());
            Assert.False(setup.Headers.Contains("Strict-Transport-Security"));
        }

        // Behind the TLS proxy (loopback is a known proxy): HSTS.
        using (var https = await SendAsync(http, "/setup", host: PublicHost, forwardedProto: "https"))
        {
            Assert.Equal(HttpStatusCode.OK, https.StatusCode);
            Assert.Equal("max-age=31536000", Assert.Single(https.Headers.GetValues("Strict-Transport-Security")));
            Assert.False(https.Headers.Contains("Server"));
        }

        await CreateFirstAdminAsync(http);

        // The sign-in redirect is relative: no Host of the request is echoed into it.
        using (var redirect = await SendAsync(http, "/marketing/campaigns", host: PublicHost))
        {
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            Assert.Equal("/account/login?returnUrl=%2Fmarketing%2Fcampaigns", redirect.Headers.Location!.OriginalString);
        }
        // A forged Host is refused before anything runs.
        foreach (var forged in new[] { "evil.test", $"evil.test:{_app.Address.Port}" })
        {
            using var refused = await SendAsync(http, "/marketing/campaigns", host: forged);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Null(refused.Headers.Location);
        }
        // A forged X-Forwarded-Host from the proxy is not taken (and takes its entry's scheme with it).
        using (var forwarded = await SendAsync(http, "/marketing/campaigns", host: PublicHost, forwardedHost: "evil.test", forwardedProto: "https"))
        {
            Assert.Equal(HttpStatusCode.Redirect, forwarded.StatusCode);
            var everything = forwarded.Headers.ToString() + forwarded.Content.Headers + await forwarded.Content.ReadAsStringAsync();
            Assert.DoesNotContain("evil.test", everything, StringComparison.OrdinalIgnoreCase);
        }

        // The automation API answers as an API, also for an unknown route.
        using (var api = await SendAsync(http, "/api/v1/nothing-here", host: PublicHost, bearer: Token))
        {
            Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
            Assert.Equal("application/problem+json", api.Content.Headers.ContentType?.MediaType);
        }

        // Started outside systemd, the data folder is still owner-only.
        HardeningTests.AssertPrivate(DataFolder, Path.Combine(DataFolder, "refly.db"), Path.Combine(DataFolder, "keys"));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string? host = null, string? forwardedHost = null,
        string? forwardedProto = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }
        if (forwardedHost is not null)
        {
            request.Headers.Add("X-Forwarded-Host", forwardedHost);
        }
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }
        return await http.SendAsync(request);
    }

    private async Task CreateFirstAdminAsync(HttpClient http)
    {
        using var form = await http.GetAsync("/setup");
        var html = await form.Content.ReadAsStringAsync();
        var antiforgeryCookie = string.Join("; ", form.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
        using var post = new HttpRequestMessage(HttpMethod.Post, "/setup")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "setup",
                ["__RequestVerificationToken"] = ReflyAppFactory.AntiforgeryToken(html),
                ["Input.Email"] = "owner@example.com",
                ["Input.Password"] = "published-owner-7731",
                ["Input.ConfirmPassword"] = "published-owner-7731",
            }),
        };
        post.Headers.Add("Cookie", antiforgeryCookie);
        using var created = await http.SendAsync(post);
        Assert.True(created.StatusCode == HttpStatusCode.Redirect, $"setup answered {(int)created.StatusCode}:\n{_app.Output}");
    }

    private async Task PublishAsync(string output)
    {
        // Framework-dependent (the self-contained publish is PublishedAppTests'), into its own artifacts folder so the
        // build the other tests run from is never rewritten.
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryPaths.Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     "publish", Path.Combine("Refly.Dashboard", "Refly.Dashboard.csproj"), "-c", "Release",
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

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
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
