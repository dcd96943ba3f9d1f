using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Logging;
using Refly.Dashboard.Automation;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Automation;

/// <summary>Under /api/v1 every answer is JSON problem details with words, never a redirect to the sign-in page.</summary>
public sealed class AutomationApiProblemTests : IClassFixture<DemoAppFixture>
{
    private readonly DemoAppFixture _app;

    public AutomationApiProblemTests(DemoAppFixture app) => _app = app;

    [Theory]
    [InlineData("GET", "/api/v1/campaigns")]
    [InlineData("GET", "/api/v1/no-such-thing")]
    [InlineData("PUT", "/api/v1/campaigns")]
    [InlineData("GET", "/openapi/v1.json")]
    public async Task NoToken_Answers401ProblemDetails_NeverARedirect(string method, string path)
    {
        using var client = _app.Factory.CreateCookieClient();
        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task UnknownRoute_WithToken_Answers404ProblemDetails()
    {
        using var client = Client();
        using var response = await client.GetAsync("/api/v1/no-such-thing");
        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Contains("/api/v1/no-such-thing", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongMethod_WithToken_Answers405ProblemDetails_WithAllow()
    {
        using var client = Client();
        using var response = await client.PutAsync("/api/v1/campaigns", new StringContent("{}", Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Contains("GET", response.Content.Headers.Allow);
        Assert.Contains("PUT is not allowed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongContentType_WithToken_Answers415ProblemDetails()
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = Client();
        using var response = await client.PostAsync($"/api/v1/campaigns/{draft.Id}/personalization",
            new StringContent("""{"messageIds": ["x"]}""", Encoding.UTF8, "text/plain"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
        Assert.Contains("application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"messageIds\": ", "could not be read")]
    [InlineData("not json", "could not be read")]
    [InlineData("{\"messageIds\": \"one\"}", "'$.messageIds'")]
    public async Task BadBody_Answers400InWords_WithoutTypeNames(string body, string words)
    {
        await _app.WaitForSyncAsync();
        var draft = _app.Factory.Sandbox.Store.GetCampaigns().First(c => c.Status == CampaignStatuses.Draft);
        using var client = Client();
        using var response = await client.PostAsync($"/api/v1/campaigns/{draft.Id}/personalization", new StringContent(body, Encoding.UTF8, "application/json"));
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(words, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("messageIds", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("take=0", "'take' between 1 and 500")]
    [InlineData("take=-5", "'take' between 1 and 500")]
    [InlineData("take=501", "'take' between 1 and 500")]
    [InlineData("skip=-1", "'skip' must be 0 or more")]
    [InlineData("take=abc", "'take' must be a whole number; 'abc' is not")]
    [InlineData("status=Bogus", "'status' must be one of Unknown, Draft, Scheduled")]
    public async Task BadQuery_Answers400InWords(string query, string words)
    {
        using var client = Client();
        using var response = await client.GetAsync("/api/v1/campaigns?" + query);
        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(words, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenApiDocument_WithToken_DeclaresTheBearerScheme()
    {
        using var client = Client();
        using var document = JsonDocument.Parse(await client.GetStringAsync("/openapi/v1.json"));
        var scheme = document.RootElement.GetProperty("components").GetProperty("securitySchemes").GetProperty("Bearer");
        Assert.Equal("http", scheme.GetProperty("type").GetString());
        Assert.Equal("bearer", scheme.GetProperty("scheme").GetString());
        Assert.Contains(document.RootElement.GetProperty("security").EnumerateArray(), r => r.TryGetProperty("Bearer", out _));
        Assert.True(document.RootElement.GetProperty("paths").TryGetProperty("/api/v1/campaigns", out _));
    }

    [Fact]
    public async Task Forbidden_Answers403ProblemDetails()
    {
        // No endpoint forbids a valid token today; a stricter policy shows the forbid path answers as an API too.
        await using var factory = new ReflyAppFactory(configureServices: services => services.Configure<AuthorizationOptions>(o =>
            o.AddPolicy(AutomationApi.Policy, p => p.AddAuthenticationSchemes(AutomationTokenHandler.SchemeName).RequireClaim("scope", "never-granted"))));
        using var client = factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        using var response = await client.GetAsync("/api/v1/campaigns");
        await AssertProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task BadBody_IsLoggedAtInformation_WithoutAStack()
    {
        await using var factory = new ReflyAppFactory(
            new Dictionary<string, string?> { ["Logging:LogLevel:Refly"] = "Information", ["Logging:LogLevel:Microsoft"] = "Information" },
            configureServices: services => services.AddLogging(b => b.AddFakeLogging()));
        using var client = factory.CreateHttpClient(ReflyAppFactory.AutomationToken);
        using var response = await client.PostAsync("/api/v1/campaigns/any/personalization", new StringContent("{oops", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var logs = factory.Services.GetFakeLogCollector().GetSnapshot();
        var refusal = Assert.Single(logs, r => r.Message.Contains("Automation API refused", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, refusal.Level);
        Assert.Null(refusal.Exception);
        Assert.DoesNotContain(logs, r => r.Level >= LogLevel.Warning && r.Exception is not null);
    }

    [Fact]
    public async Task WrongTokens_FromOneClient_AreThrottled_OtherClientsAreNot()
    {
        await using var factory = new ReflyAppFactory();
        var attacker = IPAddress.Parse("127.0.0.2");
        using var guessing = factory.CreateHttpClientFrom(attacker, "guessed-token-0000000000000000000000");
        for (var i = 0; i < 10; i++)
        {
            using var wrong = await guessing.GetAsync("/api/v1/campaigns");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using (var throttled = await guessing.GetAsync("/api/v1/campaigns"))
        {
            await AssertProblemAsync(throttled, HttpStatusCode.TooManyRequests);
            Assert.NotNull(throttled.Headers.RetryAfter);
        }
        // The throttled client is refused even with the right token until the window passes; others are not affected.
        using (var sameClient = factory.CreateHttpClientFrom(attacker, ReflyAppFactory.AutomationToken))
        using (var refused = await sameClient.GetAsync("/api/v1/campaigns"))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        }
        using var other = factory.CreateHttpClientFrom(IPAddress.Parse("127.0.0.3"), ReflyAppFactory.AutomationToken);
        using var ok = await other.GetAsync("/api/v1/campaigns");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task ShortConfiguredToken_RefusesTheStart_WithoutShowingIt()
    {
        const string shortToken = "only-20-characters!!";
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?> { ["Automation:Tokens:1"] = shortToken });
        var error = Assert.ThrowsAny<Exception>(() => factory.ServerAddress);
        var messages = string.Join("\n", Flatten(error).Select(e => e.Message));
        Assert.Contains("Automation:Tokens:1 is 20 characters long", messages, StringComparison.Ordinal);
        Assert.Contains("at least 32 characters", messages, StringComparison.Ordinal);
        Assert.DoesNotContain(shortToken, messages, StringComparison.Ordinal);
    }

    private HttpClient Client() => _app.Factory.CreateHttpClient(ReflyAppFactory.AutomationToken);

    private static IEnumerable<Exception> Flatten(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>Problem details JSON with the status, a title and detail in words, no .NET names.</summary>
    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {response.Headers.Location}: {body}");
        Assert.Null(response.Headers.Location);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        foreach (var dotnet in new[] { "Exception", "System.", "Microsoft.", "Refly.", "StartPersonalizationBody", "Nullable", "Int32", "IReadOnlyList" })
        {
            Assert.DoesNotContain(dotnet, body, StringComparison.Ordinal);
        }
        return problem;
    }
}
