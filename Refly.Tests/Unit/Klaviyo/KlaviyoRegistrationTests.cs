using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

public sealed partial class KlaviyoRegistrationTests
{
    [Fact]
    public void Options_BindTheKlaviyoSection_WithDefaults()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => new HttpResponseMessage(),
            new Dictionary<string, string?> { ["Klaviyo:SyncInterval"] = "00:05:00" });

        var options = host.Services.GetRequiredService<IOptions<KlaviyoOptions>>().Value;

        Assert.Equal(KlaviyoTestHost.ApiKey, options.ApiKey);
        Assert.Equal(KlaviyoTestHost.BaseUrl, options.BaseUrl);
        Assert.Equal(TimeSpan.FromMinutes(5), options.SyncInterval);
        var defaults = new KlaviyoOptions();
        Assert.Equal("https://a.klaviyo.com", defaults.BaseUrl);
        Assert.Equal("2026-07-15", defaults.Revision);
        Assert.Equal(TimeSpan.FromMinutes(1), defaults.SyncInterval);
        Assert.Equal("", defaults.ApiKey);
    }

    [Fact]
    public void Options_WithEmptyApiKey_AreValid()
    {
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(), new Dictionary<string, string?> { ["Klaviyo:ApiKey"] = "" });

        Assert.Equal("", host.Services.GetRequiredService<IOptions<KlaviyoOptions>>().Value.ApiKey);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("/relative/path")]
    [InlineData("ftp://a.klaviyo.com")]
    public void Options_WithBadBaseUrl_FailValidation(string baseUrl)
    {
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(), new Dictionary<string, string?> { ["Klaviyo:BaseUrl"] = baseUrl });

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<KlaviyoOptions>>().Value);
        Assert.Contains("Klaviyo:BaseUrl", ex.Message);
    }

    [Theory]
    [InlineData("0.05")]
    [InlineData("1.5")]
    [InlineData("0")]
    [InlineData("NaN")]
    public void Options_WithRateLimitShareOutOfRange_FailValidation(string share)
    {
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(), new Dictionary<string, string?> { ["Klaviyo:RateLimitShare"] = share });

        var ex = Assert.Throws<OptionsValidationException>(() => host.Services.GetRequiredService<IOptions<KlaviyoOptions>>().Value);
        Assert.Contains("Klaviyo:RateLimitShare must be between 0.1 and 1", ex.Message);
    }

    [Theory]
    [InlineData(null, 0.9)]
    [InlineData("0.1", 0.1)]
    [InlineData("1.0", 1.0)]
    public void Options_RateLimitShare_DefaultsToNinetyPercentAndAcceptsTheBounds(string? share, double expected)
    {
        var settings = share is null ? null : new Dictionary<string, string?> { ["Klaviyo:RateLimitShare"] = share };
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(), settings);

        Assert.Equal(expected, host.Services.GetRequiredService<IOptions<KlaviyoOptions>>().Value.RateLimitShare);
    }

    [Fact]
    public void AddKlaviyo_RegistersTheClientAndSingletons_AndKeepsACustomConnection()
    {
        var custom = new FixedConnection();
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(), configure: s => s.AddSingleton<IKlaviyoConnection>(custom));

        Assert.IsType<KlaviyoClient>(host.Client);
        Assert.Same(custom, host.Services.GetRequiredService<IKlaviyoConnection>());
        Assert.Same(host.Services.GetRequiredService<KlaviyoClientStats>(), host.Services.GetRequiredService<KlaviyoClientStats>());
    }

    [Fact]
    public async Task AddKlaviyo_CalledTwice_DoesNotStackHandlers()
    {
        using var host = new KlaviyoTestHost(
            (_, _) => FakeKlaviyoHandler.Error(System.Net.HttpStatusCode.ServiceUnavailable),
            new Dictionary<string, string?> { ["Klaviyo:MaxRetryAttempts"] = "1" },
            configure: s => s.AddKlaviyo(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()));

        await Assert.ThrowsAsync<KlaviyoServerException>(() => host.Client.GetTemplateAsync("T1", CancellationToken.None));

        Assert.Equal(2, host.Handler.Requests.Count);
    }

    [Fact]
    public void EndpointTable_MatchesTheRateLimitsInKlaviyosOpenApi()
    {
        var specDir = FindSpecDirectory()!;

        var limits = new Dictionary<string, (int Burst, int Steady)>();
        foreach (var file in Directory.GetFiles(specDir, "*.json"))
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(file));
            foreach (var path in doc.RootElement.GetProperty("paths").EnumerateObject())
            {
                foreach (var op in path.Value.EnumerateObject().Where(o => o.Value.ValueKind == JsonValueKind.Object && o.Value.TryGetProperty("operationId", out _)))
                {
                    var description = op.Value.TryGetProperty("description", out var d) ? d.GetString() ?? "" : "";
                    var match = LimitsPattern().Match(description);
                    if (match.Success)
                    {
                        limits[op.Value.GetProperty("operationId").GetString()!] = (int.Parse(match.Groups[1].Value), int.Parse(match.Groups[2].Value));
                    }
                }
            }
        }

        Assert.NotEmpty(limits);
        foreach (var endpoint in KlaviyoEndpoints.All)
        {
            if (endpoint.Key.EndsWith("+profile_count", StringComparison.Ordinal))
            {
                // The spec states these in the same description, as the limits "when using additional-fields ... profile_count".
                Assert.Equal((1, 15), (endpoint.BurstPerSecond, endpoint.SteadyPerMinute));
                continue;
            }

            Assert.True(limits.TryGetValue(endpoint.Key, out var published), $"{endpoint.Key} is not an operationId of the spec");
            Assert.Equal(published, (endpoint.BurstPerSecond, endpoint.SteadyPerMinute));
        }
    }

    /// <summary>The spec slices shipped with the sandbox (the same files as ../shared/klaviyo-openapi).</summary>
    private static string? FindSpecDirectory() => Path.GetDirectoryName(Refly.Tests.Support.RepositoryPaths.KlaviyoSpec("campaigns.json"));

    [GeneratedRegex(@"Burst: `(\d+)/s`<br>Steady: `(\d+)/m`")]
    private static partial Regex LimitsPattern();

    private sealed class FixedConnection : IKlaviyoConnection
    {
        public Uri BaseUrl => new("http://localhost:1");

        public string ApiKey => "k";
    }
}
