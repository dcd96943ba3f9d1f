using Refly.Dashboard.Hosting;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.KlaviyoSandbox;

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
    private readonly Action<IServiceCollection>? _configureServices;
    private readonly Lock _usersLock = new();
    private bool _usersCreated;

    /// <param name="settings">Configuration that wins over appsettings.json.</param>
    /// <param name="dataFolder">Folder of the SQLite file (a new temp folder when null).</param>
    /// <param name="createUsers">Create <see cref="AdminEmail"/> (Admin) and <see cref="MarketerEmail"/> (Marketer) on start,
    /// both with <see cref="Password"/>; false leaves the app in its first-start state (setup page).</param>
    /// <param name="configureServices">Runs after the app's registrations (test-only services or policies).</param>
    public ReflyAppFactory(IDictionary<string, string?>? settings = null, string? dataFolder = null, bool createUsers = true,
        Action<IServiceCollection>? configureServices = null)
    {
        _createUsers = createUsers;
        _configureServices = configureServices;
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
    public KlaviyoSandboxServer Sandbox => Services.GetRequiredService<KlaviyoSandboxHost>().Current ?? throw new InvalidOperationException("Not in demo mode");

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

    /// <summary>
    /// An HttpClient with its own cookie jar that does not follow redirects; <paramref name="from"/> is the client's own
    /// address (another loopback address such as 127.0.0.2 is another client to the app's throttles).
    /// </summary>
    public HttpClient CreateCookieClient(System.Net.IPAddress? from = null)
    {
        var cookies = new System.Net.CookieContainer();
        var client = new HttpClient(ClientHandler(from, cookies)) { BaseAddress = ServerAddress };
        _cookieJars.AddOrUpdate(client, cookies);
        return client;
    }

    /// <summary>The cookie jar of a client made by <see cref="CreateCookieClient"/> (a test copies a cookie out of it to replay it).</summary>
    public static System.Net.CookieContainer CookiesOf(HttpClient client) =>
        _cookieJars.TryGetValue(client, out var cookies) ? cookies : throw new InvalidOperationException("Not a cookie client of ReflyAppFactory.");

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<HttpClient, System.Net.CookieContainer> _cookieJars = new();

    /// <summary>An HttpClient without cookies whose connections come from <paramref name="from"/>.</summary>
    public HttpClient CreateHttpClientFrom(System.Net.IPAddress from, string? bearerToken = null)
    {
        var client = new HttpClient(ClientHandler(from, cookies: null)) { BaseAddress = ServerAddress };
        if (bearerToken is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", bearerToken);
        }
        return client;
    }

    private static SocketsHttpHandler ClientHandler(System.Net.IPAddress? from, System.Net.CookieContainer? cookies)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = cookies is not null };
        if (cookies is not null)
        {
            handler.CookieContainer = cookies;
        }
        if (from is not null)
        {
            handler.ConnectCallback = async (context, cancellationToken) =>
            {
                var socket = new System.Net.Sockets.Socket(from.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new System.Net.IPEndPoint(from, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch (Exception)
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        return handler;
    }

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
        if (_configureServices is not null)
        {
            builder.ConfigureTestServices(_configureServices);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }
}
