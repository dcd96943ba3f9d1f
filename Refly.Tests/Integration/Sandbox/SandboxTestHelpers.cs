using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Tests.Integration.Sandbox;

/// <summary>Starts sandboxes on free ports and talks to them over real HTTP, as the Klaviyo client will.</summary>
internal static class SandboxTestHelpers
{
    public static Task<KlaviyoSandboxServer> StartEmptyAsync(Action<KlaviyoSandboxOptions>? configure = null)
    {
        var options = new KlaviyoSandboxOptions { Seed = SandboxSeeds.Empty, ImportJobDelay = TimeSpan.Zero };
        configure?.Invoke(options);
        return KlaviyoSandboxServer.StartAsync(options);
    }

    public static async Task<JsonDocument> GetJsonAsync(this HttpClient client, string url, System.Net.HttpStatusCode expected = System.Net.HttpStatusCode.OK)
    {
        using var response = await client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"GET {url}: expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body);
    }

    public static async Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, object body)
    {
        var request = new HttpRequestMessage(method, url)
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.api+json");
        return await client.SendAsync(request);
    }

    public static async Task<string> ErrorDetailAsync(this HttpResponseMessage response)
    {
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("errors")[0].GetProperty("detail").GetString()!;
    }

    public static object MessagePatch(string id, string subject, string preview) => new
    {
        data = new
        {
            type = "campaign-message",
            id,
            attributes = new { definition = new { channel = "email", content = new { subject, preview_text = preview } } },
        },
    };

    public static object Revert(string campaignId) => new
    {
        data = new { type = "campaign-send-job", id = campaignId, attributes = new { action = "revert" } },
    };
}
