using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using OpenAI;
using Refly.ModelSandbox;

namespace Refly.Tests.Integration.ModelSandbox;

/// <summary>Clients of a <see cref="ModelSandboxServer"/>: Microsoft.Extensions.AI's OpenAI chat client, as the product uses it, and raw HTTP.</summary>
internal static class ModelSandboxClient
{
    /// <summary>The schema Refly's LLM personalizer asks for, with length bounds.</summary>
    public static readonly JsonObject DraftSchema = new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            ["subject"] = new JsonObject { ["type"] = "string", ["maxLength"] = 120 },
            ["preview_text"] = new JsonObject { ["type"] = "string", ["maxLength"] = 180 },
            ["intro"] = new JsonObject { ["type"] = "string", ["maxLength"] = 600 },
        },
        ["required"] = new JsonArray("subject", "preview_text", "intro"),
        ["additionalProperties"] = false,
    };

    public const string Prompt =
        """{"campaign":"Autumn preview","original_subject":"Early access to the autumn collection","original_preview_text":"Members shop first.","recipient":{"loyalty_tier":"Gold","favorite_category":"Shoes","city":"Lyon"}}""";

    /// <summary>An <see cref="IChatClient"/> over the stand-in; the OpenAI client's own retries are off so a test sees each answer.</summary>
    public static IChatClient ChatClient(ModelSandboxServer server, string? apiKey = null) =>
        new OpenAI.Chat.ChatClient(server.ModelId, new ApiKeyCredential(apiKey ?? "no-key"), new OpenAIClientOptions
        {
            Endpoint = server.Endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = TimeSpan.FromSeconds(30),
        }).AsIChatClient();

    public static HttpClient Http(ModelSandboxServer server, TimeSpan? timeout = null) =>
        new() { BaseAddress = server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(60) };

    /// <summary>A chat completions body asking for <paramref name="schema"/> (default <see cref="DraftSchema"/>).</summary>
    public static JsonObject Body(string prompt = Prompt, JsonNode? schema = null, int? seed = null) => new()
    {
        ["model"] = ModelSandboxServer.DemoModelId,
        ["messages"] = new JsonArray(
            new JsonObject { ["role"] = "system", ["content"] = "You write short personalized email copy. Answer with JSON only." },
            new JsonObject { ["role"] = "user", ["content"] = prompt }),
        ["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject { ["name"] = "draft", ["strict"] = true, ["schema"] = (schema ?? DraftSchema).DeepClone() },
        },
        ["seed"] = seed,
    };

    public static Task<HttpResponseMessage> PostAsync(HttpClient http, JsonObject body, CancellationToken ct = default) =>
        http.PostAsJsonAsync("/v1/chat/completions", body, ct);

    /// <summary>The assistant's content of a 200 answer.</summary>
    public static async Task<string> ContentAsync(HttpResponseMessage response)
    {
        Assert.Equal(200, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
    }

    public static async Task<bool> WaitUntilAsync(Func<bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(10);
        }
        return true;
    }
}
