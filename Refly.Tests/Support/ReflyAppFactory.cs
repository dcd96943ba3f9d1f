using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.Dashboard.Sandbox;

namespace Refly.Tests.Support;

/// <summary>
/// The whole dashboard on real Kestrel (a free loopback port) with its own SQLite file in a temp folder, in demo
/// mode against the built-in sandbox unless a test says otherwise. Settings are passed as command-line style
/// configuration so they win over appsettings.json.
/// </summary>
public sealed class ReflyAppFactory : WebApplicationFactory<Program>
{
    public const string AdminEmail = "admin@refly.test";
    public const string MarketerEmail = "marketer@refly.test";
    public const string Password = "test-password-0123";

    private readonly Dictionary<string, string?> _settings;
    private readonly bool _createUsers;
    private readonly Lock _usersLock = new();
    private bool _usersCreated;

    /// <param name="settings">Configuration that wins over appsettings.json.</param>
    /// <param name="dataFolder">Folder of the SQLite file (a new temp folder when null).</param>
    /// <param name="createUsers">Create <see cref="AdminEmail"/> (Admin) and <see cref="MarketerEmail"/> (Marketer) on start,
    /// both with <see cref="Password"/>; false leaves the app in its first-start state (setup page).</param>
    public ReflyAppFactory(IDictionary<string, string?>? settings = null, string? dataFolder = null, bool createUsers = true)
    {
        _createUsers = createUsers;
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
            EnsureUsers();
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

    /// <summary>An HttpClient with a cookie jar, signed in through the real sign-in form (antiforgery token included).</summary>
    public async Task<HttpClient> CreateSignedInClientAsync(string email = AdminEmail, string password = Password)
    {
        var client = CreateCookieClient();
        var response = await SignInAsync(client, email, password);
        if (response.StatusCode != System.Net.HttpStatusCode.Redirect || response.Headers.Location?.ToString().Contains("/account/login", StringComparison.Ordinal) == true)
        {
            throw new InvalidOperationException($"Sign-in as {email} failed: {(int)response.StatusCode} {response.Headers.Location}");
        }
        return client;
    }

    /// <summary>An HttpClient with its own cookie jar that does not follow redirects.</summary>
    public HttpClient CreateCookieClient() =>
        new(new HttpClientHandler { CookieContainer = new System.Net.CookieContainer(), AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = ServerAddress,
        };

    /// <summary>Posts the sign-in form as a browser would; the answer is a redirect on success, the form again on failure.</summary>
    public static async Task<HttpResponseMessage> SignInAsync(HttpClient client, string email, string password)
    {
        var form = await client.GetStringAsync("/account/login");
        return await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = AntiforgeryToken(form),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
        }));
    }

    /// <summary>The antiforgery token of the first form in <paramref name="html"/>.</summary>
    public static string AntiforgeryToken(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"");
        return match.Success ? System.Net.WebUtility.HtmlDecode(match.Groups[1].Value) : throw new InvalidOperationException("The page has no antiforgery token.");
    }

    private void EnsureUsers()
    {
        lock (_usersLock)
        {
            if (!_createUsers || _usersCreated)
            {
                return;
            }
            var accounts = Services.GetRequiredService<AccountService>();
            foreach (var (email, role) in new[] { (AdminEmail, Roles.Admin), (MarketerEmail, Roles.Marketer) })
            {
                var result = accounts.CreateUserAsync(new NewUser(email, Password, role)).GetAwaiter().GetResult();
                if (!result.Succeeded && !result.Errors.Any(e => e.Contains("already taken", StringComparison.OrdinalIgnoreCase)))
                {
                    throw new InvalidOperationException($"Could not create {email}: {string.Join("; ", result.Errors)}");
                }
            }
            _usersCreated = true;
        }
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
