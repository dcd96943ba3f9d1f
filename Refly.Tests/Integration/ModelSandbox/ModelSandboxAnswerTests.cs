using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;
using Refly.ModelSandbox;
using static Refly.Tests.Integration.ModelSandbox.ModelSandboxClient;

namespace Refly.Tests.Integration.ModelSandbox;

/// <summary>The stand-in answers like an OpenAI-compatible server: schema-valid JSON, usage, the models list.</summary>
public sealed class ModelSandboxAnswerTests
{
    [Fact]
    public async Task StructuredRequest_ThroughMicrosoftExtensionsAI_GetsSchemaValidCopyFromThePromptsFacts_AndUsage()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        var client = ChatClient(server);

        var response = await client.GetResponseAsync<Draft>(
            [new ChatMessage(ChatRole.System, "Write personalized copy."), new ChatMessage(ChatRole.User, Prompt)],
            new ChatOptions { ModelId = server.ModelId },
            useJsonSchemaResponseFormat: true);

        Assert.True(response.TryGetResult(out var draft), response.Text);
        Assert.False(string.IsNullOrWhiteSpace(draft!.Subject));
        Assert.False(string.IsNullOrWhiteSpace(draft.PreviewText));
        Assert.False(string.IsNullOrWhiteSpace(draft.Intro));
        // Copy from the facts: the original subject's words, the tier or the category.
        var all = $"{draft.Subject} {draft.PreviewText} {draft.Intro}";
        Assert.Contains("autumn collection", all, StringComparison.OrdinalIgnoreCase);
        Assert.True(all.Contains("Gold", StringComparison.Ordinal) || all.Contains("shoes", StringComparison.OrdinalIgnoreCase) || all.Contains("Lyon", StringComparison.Ordinal), all);
        Assert.DoesNotContain("{{", all, StringComparison.Ordinal);
        Assert.DoesNotContain("<", all, StringComparison.Ordinal);

        var usage = response.Usage!;
        Assert.True(usage.InputTokenCount > 0);
        Assert.True(usage.OutputTokenCount > 0);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
        Assert.Equal(1, server.Counters.Completed);
        Assert.Equal(usage.OutputTokenCount, server.Counters.CompletionTokens);
        Assert.Equal(usage.InputTokenCount, server.Counters.PromptTokens);
        var seen = Assert.Single(server.Requests);
        Assert.True(seen.StructuredOutput);
        Assert.Equal(server.ModelId, seen.Model);
    }

    [Fact]
    public async Task ArrayAnswer_ThroughMicrosoftExtensionsAI_HasOneItemPerGroupOfThePrompt_EchoingItsId()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        const string prompt = """
            {"original_subject":"New arrivals","groups":[
              {"group_id":"g-1","loyalty_tier":"Gold","favorite_category":"Shoes"},
              {"group_id":"g-2","loyalty_tier":"Silver","favorite_category":"Bags"},
              {"group_id":"g-3","city":"Porto","last_product_viewed":"Linen shirt"}]}
            """;

        var response = await ChatClient(server).GetResponseAsync<GroupDraft[]>(prompt, new ChatOptions { ModelId = server.ModelId }, useJsonSchemaResponseFormat: true);

        Assert.True(response.TryGetResult(out var drafts), response.Text);
        Assert.Equal(["g-1", "g-2", "g-3"], drafts!.Select(d => d.GroupId));
        Assert.All(drafts, d => Assert.False(string.IsNullOrWhiteSpace(d.Subject)));
        // Each item is written from its own group's facts.
        string[][] facts = [["Gold", "Shoes"], ["Silver", "Bags"], ["Porto", "Linen shirt"]];
        Assert.All(drafts.Zip(facts), pair =>
        {
            var text = $"{pair.First.Subject} {pair.First.PreviewText} {pair.First.Intro}";
            Assert.Contains(pair.Second, fact => text.Contains(fact, StringComparison.OrdinalIgnoreCase));
        });
    }

    [Fact]
    public async Task RootArraySchema_WithBoundsEnumsAndRefs_IsHonoured()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        using var http = Http(server);
        var schema = JsonNode.Parse("""
            {"type":"array","minItems":2,"maxItems":2,
             "items":{"$ref":"#/$defs/item"},
             "$defs":{"item":{"type":"object","additionalProperties":false,"required":["subject","tone","score","tags"],
               "properties":{"subject":{"type":"string","minLength":5,"maxLength":30},
                             "tone":{"enum":["warm","playful"]},
                             "score":{"type":"integer","minimum":3},
                             "tags":{"type":"array","items":{"type":"string","maxLength":12},"minItems":1}}}}}
            """)!;

        var content = await ContentAsync(await PostAsync(http, Body(schema: schema)));

        var items = JsonNode.Parse(content)!.AsArray();
        Assert.Equal(2, items.Count);
        Assert.All(items, item =>
        {
            var o = item!.AsObject();
            Assert.Equal(["subject", "tone", "score", "tags"], o.Select(p => p.Key));
            Assert.InRange(o["subject"]!.GetValue<string>().Length, 5, 30);
            Assert.Contains(o["tone"]!.GetValue<string>(), new[] { "warm", "playful" });
            Assert.True(o["score"]!.GetValue<long>() >= 3);
            Assert.All(o["tags"]!.AsArray(), t => Assert.True(t!.GetValue<string>().Length <= 12));
        });
    }

    [Fact]
    public async Task SamePromptAndSeed_GiveTheSameCopy()
    {
        await using var first = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100, Seed = 7 });
        await using var second = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100, Seed = 7 });
        using var a = Http(first);
        using var b = Http(second);

        var one = await ContentAsync(await PostAsync(a, Body()));
        var again = await ContentAsync(await PostAsync(a, Body()));
        var elsewhere = await ContentAsync(await PostAsync(b, Body()));

        Assert.Equal(one, again);
        Assert.Equal(one, elsewhere);
    }

    [Fact]
    public async Task Models_ListsTheModel_AndAKeyIsEnforcedWhenSet()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { ApiKey = "sk-test-sandbox", ModelId = "llama-3.1-8b" });
        using var http = Http(server);

        Assert.Equal(401, (int)(await http.GetAsync("/v1/models")).StatusCode);
        http.DefaultRequestHeaders.Authorization = new("Bearer", "sk-test-sandbox");
        var models = await http.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("llama-3.1-8b", models.GetProperty("data")[0].GetProperty("id").GetString());

        var response = await ChatClient(server, "sk-test-sandbox").GetResponseAsync("Write a subject line for shoes.", new ChatOptions { ModelId = server.ModelId });
        Assert.False(string.IsNullOrWhiteSpace(response.Text));
        Assert.Equal("sk-test-sandbox", Assert.Single(server.Requests).ApiKey);
    }

    [Fact]
    public async Task MaxTokens_CutsTheAnswer_WithFinishReasonLength()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        using var http = Http(server);
        var body = Body();
        body["max_tokens"] = 5;

        var response = await PostAsync(http, body);

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("length", doc.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(5, doc.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(doc.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!));
    }

    internal sealed record Draft(
        [property: JsonPropertyName("subject")] string? Subject,
        [property: JsonPropertyName("preview_text")] string? PreviewText,
        [property: JsonPropertyName("intro")] string? Intro);

    internal sealed record GroupDraft(
        [property: JsonPropertyName("group_id")] string GroupId,
        [property: JsonPropertyName("subject")] string Subject,
        [property: JsonPropertyName("preview_text")] string PreviewText,
        [property: JsonPropertyName("intro")] string Intro);
}
