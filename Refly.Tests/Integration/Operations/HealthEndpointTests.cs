using System.Net;
using System.Text.Json;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Operations;

public sealed class HealthEndpointTests
{
    [Fact]
    public async Task Health_InDemoMode_ReportsDatabaseSchedulerAndKlaviyoHealthyAsJson()
    {
        await using var factory = new ReflyAppFactory();
        using var http = factory.CreateHttpClient();

        using var response = await http.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", json.RootElement.GetProperty("status").GetString());
        var checks = json.RootElement.GetProperty("checks");
        Assert.Equal(["database", "scheduler", "klaviyo"], checks.EnumerateObject().Select(c => c.Name));
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task Health_WhenKlaviyoIsUnreachable_IsDegradedNotUnhealthy()
    {
        // A real key means no sandbox; the base URL points at a closed loopback port.
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?>
        {
            ["Klaviyo:ApiKey"] = "pk_test_unreachable",
            ["Klaviyo:BaseUrl"] = "http://127.0.0.1:9",
            ["Klaviyo:SyncInterval"] = "01:00:00",
        });
        using var http = factory.CreateHttpClient();

        using var response = await http.GetAsync("/health");

        // Degraded still answers 200: the app serves and resumes its work when Klaviyo is back.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Degraded", json.RootElement.GetProperty("status").GetString());
        Assert.Equal("Degraded", json.RootElement.GetProperty("checks").GetProperty("klaviyo").GetProperty("status").GetString());
        Assert.Equal("Healthy", json.RootElement.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
    }
}
