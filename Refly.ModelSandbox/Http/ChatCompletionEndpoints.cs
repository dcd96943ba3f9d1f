using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Refly.ModelSandbox.Capacity;
using Refly.ModelSandbox.Generation;

namespace Refly.ModelSandbox.Http;

/// <summary>
/// OpenAI's chat completions API as vLLM and Ollama serve it: <c>POST /v1/chat/completions</c> (non-streaming) and
/// <c>GET /v1/models</c>. Errors use OpenAI's body (<c>{"error": {"message", "type", "param", "code"}}</c>).
/// </summary>
internal static class ChatCompletionEndpoints
{
    /// <summary>Characters per token, the usual estimate for English text with a Llama-class tokenizer.</summary>
    internal const double CharactersPerToken = 4;

    public static void MapChatCompletionEndpoints(this IEndpointRouteBuilder app, ModelSandboxServer server, CapacityModel capacity)
    {
        app.MapGet("/v1/models", (HttpContext http) => Authorized(http, server) ?? Results.Json(new
        {
            @object = "list",
            data = new[] { new { id = server.ModelId, @object = "model", created = 1_752_537_600L, owned_by = "refly-model-sandbox" } },
        }));

        app.MapPost("/v1/chat/completions", async (HttpContext http) =>
        {
            server.Counters.Request();
            if (Authorized(http, server) is { } refused)
            {
                return refused;
            }

            ChatRequest request;
            try
            {
                using var body = await JsonDocument.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
                request = ChatRequest.Read(body.RootElement, server.ModelId);
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
            {
                return Error(400, "invalid_request_error", e.Message, null);
            }
            server.Record(new ModelSandboxRequest(request.Model, BearerOf(http), request.PromptText, request.Format.Kind != ResponseFormatKind.Text));

            // Faults drawn per request (the dice are seeded), before any work as a failing server answers.
            if (ModelFaults.Hit(server.Faults.ServerErrorRate, server.Dice))
            {
                server.Counters.ServerError();
                return Error(500, "server_error", "The model server had an internal error (Refly model sandbox fault switch).", null);
            }
            var stall = ModelFaults.Hit(server.Faults.StallRate, server.Dice);
            var bad = server.Faults.DrawBadOutput(server.Dice);

            var facts = PromptFacts.Read(request.Messages);
            var dice = new Random(unchecked(request.Seed ?? server.Seed) ^ StableHash(request.PromptText) ^ StableHash(request.Model));
            var content = AnswerWriter.Write(request.Format, facts, dice, bad);
            var promptTokens = Tokens(request.PromptText) + 3 * request.Messages.Count;
            var completionTokens = Tokens(content);
            var finishReason = "stop";
            if (request.MaxTokens is { } max && completionTokens > max)
            {
                // Cut at the token budget, as the server does: the JSON ends mid-way and finish_reason says why.
                content = content[..Math.Min(content.Length, (int)(max * CharactersPerToken))];
                completionTokens = max;
                finishReason = "length";
            }

            if (stall)
            {
                server.Counters.Stall();
            }
            var (admitted, retryAfter) = await capacity.RunAsync(completionTokens, stall ? server.Faults.StallDuration : null, http.RequestAborted);
            if (!admitted)
            {
                server.Counters.Throttle();
                http.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Error(429, "rate_limit_exceeded", $"The server is at capacity: {capacity.Profile.MaxSequences} sequences running and {capacity.Profile.QueueCapacity} waiting. Retry later.", "rate_limit_exceeded");
            }
            if (stall)
            {
                return Error(504, "timeout", "The model did not answer in time (Refly model sandbox stall switch).", null);
            }
            if (bad != BadOutput.None)
            {
                server.Counters.BadOutput();
            }
            server.Counters.Complete(promptTokens, completionTokens);
            return Results.Json(new
            {
                id = "chatcmpl-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)),
                @object = "chat.completion",
                created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                model = request.Model,
                system_fingerprint = "refly-model-sandbox-" + capacity.Profile.Name,
                choices = new[]
                {
                    new { index = 0, message = new { role = "assistant", content, refusal = (string?)null }, logprobs = (object?)null, finish_reason = finishReason },
                },
                usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
            });
        });
    }

    internal static int Tokens(string text) => Math.Max(1, (int)Math.Ceiling(text.Length / CharactersPerToken));

    private static IResult? Authorized(HttpContext http, ModelSandboxServer server)
    {
        if (server.ApiKey is null)
        {
            return null;
        }
        var presented = BearerOf(http);
        return presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(server.ApiKey))
            ? null
            : Error(401, "invalid_request_error", "Incorrect API key provided.", "invalid_api_key");
    }

    private static string? BearerOf(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
    }

    private static IResult Error(int status, string type, string message, string? code) =>
        Results.Json(new { error = new { message, type, param = (string?)null, code } }, statusCode: status);

    private static int StableHash(string text)
    {
        // FNV-1a: string.GetHashCode is randomized per process, and the copy must not be.
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return unchecked((int)hash);
    }

    private sealed record ChatRequest(string Model, IReadOnlyList<(string Role, string Content)> Messages, ResponseFormat Format, int? MaxTokens, int? Seed)
    {
        public string PromptText => string.Join("\n", Messages.Select(m => m.Content));

        public static ChatRequest Read(JsonElement body, string defaultModel)
        {
            if (body.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("The request body must be a JSON object.");
            }
            if (body.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True)
            {
                throw new FormatException("stream=true is not served by the Refly model sandbox; ask without streaming.");
            }
            var model = body.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String && m.GetString() is { Length: > 0 } id ? id : defaultModel;
            if (!body.TryGetProperty("messages", out var list) || list.ValueKind != JsonValueKind.Array || list.GetArrayLength() == 0)
            {
                throw new FormatException("messages must be a non-empty array.");
            }
            var messages = new List<(string, string)>();
            foreach (var message in list.EnumerateArray())
            {
                var role = message.GetProperty("role").GetString() ?? "user";
                var content = message.TryGetProperty("content", out var c) ? c : default;
                messages.Add((role, content.ValueKind switch
                {
                    JsonValueKind.String => c.GetString()!,
                    // Content parts: the text ones, in order.
                    JsonValueKind.Array => string.Concat(c.EnumerateArray()
                        .Where(p => p.TryGetProperty("type", out var t) && t.GetString() == "text")
                        .Select(p => p.GetProperty("text").GetString())),
                    _ => string.Empty,
                }));
            }
            int? maxTokens = null;
            foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
            {
                if (body.TryGetProperty(name, out var mt) && mt.ValueKind == JsonValueKind.Number)
                {
                    maxTokens = mt.GetInt32() is var v && v >= 1 ? v : throw new FormatException($"{name} must be at least 1.");
                    break;
                }
            }
            int? seed = body.TryGetProperty("seed", out var s) && s.ValueKind == JsonValueKind.Number && s.TryGetInt64(out var l) ? unchecked((int)l) : null;
            return new ChatRequest(model, messages, ResponseFormat.Read(body), maxTokens, seed);
        }
    }
}
