using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class LlmPersonalizerTests
{
    private static readonly MessageContent _original = new("Black Friday: 30% off at https://shop.example.com/bf", "Ends Sunday.");
    private static readonly PersonalizationRequest _request = new(
        new KlaviyoProfile("p1", "anna@example.com", "Anna", "Kowalski", "Berlin", "DE", null,
            new Dictionary<string, string?> { ["favorite_category"] = "shoes", ["loyalty_tier"] = "Gold", ["days_since_last_order"] = "252" }),
        "m1",
        "Black Friday",
        _original);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ValidOutput_IsUsed_WithReflysGreetingBeforeTheIntro()
    {
        var client = Echoing(_ => """{"subject":"30% off shoes at https://shop.example.com/bf","preview_text":"Your picks are in.","intro":"It's on & it's yours."}""");

        var result = await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        Assert.Equal(ContentSource.Model, result.Source);
        Assert.False(result.IsFallback);
        Assert.Equal("30% off shoes at https://shop.example.com/bf", result.Subject);
        Assert.Equal("Your picks are in.", result.PreviewText);
        Assert.Equal("<p>Hi Anna, it&#39;s on &amp; it&#39;s yours.</p>", result.IntroHtml);
    }

    [Fact]
    public async Task Prompt_CarriesOnlyTheAllowedFacts_NeverNameEmailIdOrExactDays()
    {
        var client = Echoing(_ => """{"subject":"Hi","preview_text":"","intro":""}""");

        await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        var user = Assert.Single(client.Calls)[^1].Text;
        Assert.Contains("\"loyalty_tier\":\"Gold\"", user, StringComparison.Ordinal);
        Assert.Contains("\"favorite_category\":\"shoes\"", user, StringComparison.Ordinal);
        Assert.Contains("\"city\":\"Berlin\"", user, StringComparison.Ordinal);
        Assert.Contains("\"order_recency\":\"lapsed: no order for months\"", user, StringComparison.Ordinal);
        Assert.Contains("Black Friday: 30% off at https://shop.example.com/bf", user, StringComparison.Ordinal);
        foreach (var secret in (string[])["anna@example.com", "Anna", "Kowalski", "\"p1\"", "252"])
        {
            Assert.DoesNotContain(secret, user, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task SameFacts_ShareOneGeneration_AndEachContactGetsItsOwnName()
    {
        var client = Echoing(_ => """{"subject":"Shoes for you","preview_text":"","intro":"Take a look."}""");
        var requests = Enumerable.Range(0, 20)
            .Select(i => _request with { Profile = _request.Profile with { Id = $"p{i}", Email = $"c{i}@example.com", FirstName = $"Name{(char)('a' + i)}" } })
            .ToArray();
        var personalizer = Personalizer(client);

        var results = await personalizer.PersonalizeBatchAsync(requests, CancellationToken.None);
        var again = await personalizer.PersonalizeAsync(requests[3], CancellationToken.None);

        Assert.Single(client.Calls);
        Assert.All(results, r => Assert.Equal("Shoes for you", r.Subject));
        Assert.Equal(requests.Select(r => $"<p>Hi {r.Profile.FirstName}, take a look.</p>"), results.Select(r => r.IntroHtml));
        Assert.Equal(results[3], again);
        var usage = personalizer.Stats.Snapshot();
        Assert.Equal(1, usage.DistinctGroups);
        Assert.Equal(1, usage.ModelCalls);
        Assert.Equal(21, usage.ContactsFromModel);
    }

    [Fact]
    public async Task DistinctGroups_GoSeveralPerCall_EachGetsItsOwnItem()
    {
        var client = Echoing(group => $$"""{"subject":"For {{group["favorite_category"]}}","preview_text":"","intro":""}""");
        var requests = Enumerable.Range(0, 20)
            .Select(i => _request with { Profile = WithCategory(_request.Profile, $"cat{i:D2}") })
            .ToArray();

        var results = await Personalizer(client, o => o.GroupsPerCall = 8).PersonalizeBatchAsync(requests, CancellationToken.None);

        Assert.Equal(3, client.Calls.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"For cat{i:D2}"), results.Select(r => r.Subject));
    }

    [Theory]
    [InlineData("""{"subject":"{{ person.email }}","preview_text":"x","intro":"y"}""", "TemplateSyntax")]
    [InlineData("""{"subject":"Hi","preview_text":"x","intro":"Hello {% if person.vip %}VIP{% endif %}"}""", "TemplateSyntax")]
    [InlineData("""{"subject":"Hi","preview_text":"Claim at https://evil.example/win","intro":"y"}""", "UnknownUrl")]
    [InlineData("""{"subject":"Hi","preview_text":"x","intro":"<b>Hello</b>"}""", "HtmlTag")]
    [InlineData("""{"subject":"","preview_text":"x","intro":"y"}""", "MissingSubject")]
    [InlineData("""{"subject":"Black Friday: 40% off","preview_text":"x","intro":"y"}""", "InventedNumber")]
    [InlineData("""{"subject":"Black Friday","preview_text":"Only $19.99 today","intro":"y"}""", "InventedNumber")]
    public async Task InvalidOutput_FallsBackToTheRuleBasedCopy_CountedByReason(string item, string violation)
    {
        var personalizer = Personalizer(Echoing(_ => item));

        var result = await personalizer.PersonalizeAsync(_request, CancellationToken.None);

        AssertRuleBased(result, violation);
        Assert.Contains(personalizer.Stats.Snapshot().GroupFallbacksByReason, r => r.Key.Contains(violation, StringComparison.Ordinal) && r.Value == 1);
    }

    [Fact]
    public async Task NumbersFromTheOriginalOrTheFacts_AreAllowed()
    {
        var request = _request with { Profile = _request.Profile with { Properties = new Dictionary<string, string?> { ["last_product_viewed"] = "Trail Runner 2" } } };
        var client = Echoing(_ => """{"subject":"30% off the Trail Runner 2","preview_text":"Ends Sunday.","intro":"Save 30 percent."}""");

        var result = await Personalizer(client).PersonalizeAsync(request, CancellationToken.None);

        Assert.Equal(ContentSource.Model, result.Source);
    }

    [Fact]
    public async Task TooLongOutput_FallsBackToTheRuleBasedCopy()
    {
        var item = $$"""{"subject":"{{new string('a', 151)}}","preview_text":"x","intro":"y"}""";

        var result = await Personalizer(Echoing(_ => item)).PersonalizeAsync(_request, CancellationToken.None);

        AssertRuleBased(result, "TooLong");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"items": [{"subject": "unterminated""")]
    [InlineData("[1, 2, 3]")]
    public async Task MalformedJson_FallsBackToTheRuleBasedCopy(string answer)
    {
        var result = await Personalizer(FakeChatClient.Answering(answer)).PersonalizeAsync(_request, CancellationToken.None);

        AssertRuleBased(result, "malformed output");
    }

    [Fact]
    public async Task MissingItem_OnlyThatGroupFallsBack()
    {
        var client = new FakeChatClient((messages, _) =>
        {
            var items = new JsonArray();
            foreach (var group in Groups(messages).Skip(1))
            {
                items.Add(new JsonObject { ["subject"] = "Fine", ["preview_text"] = "", ["intro"] = "", ["group"] = group["group"]!.GetValue<string>() });
            }
            return Task.FromResult(FakeChatClient.Answer(new JsonObject { ["items"] = items }.ToJsonString()));
        });
        PersonalizationRequest[] requests = [_request with { Profile = WithCategory(_request.Profile, "a") }, _request with { Profile = WithCategory(_request.Profile, "b") }];

        var results = await Personalizer(client).PersonalizeBatchAsync(requests, CancellationToken.None);

        AssertRuleBased(results[0], "missing item", requests[0]);
        Assert.Equal("Fine", results[1].Subject);
    }

    [Fact]
    public async Task ClientThrows_FallsBackToTheRuleBasedCopy()
    {
        var client = new FakeChatClient((_, _) => throw new HttpRequestException("connection refused"));

        var result = await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        AssertRuleBased(result, "error: HttpRequestException");
    }

    [Fact]
    public async Task SlowClient_TimesOut_AndFallsBackToTheRuleBasedCopy()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new FakeChatClient(async (_, ct) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return FakeChatClient.Answer("{}");
        });
        var personalizer = Personalizer(client, o =>
        {
            o.Timeout = TimeSpan.FromSeconds(10);
            o.MaxAttempts = 1;
        });

        var pending = personalizer.PersonalizeAsync(_request, CancellationToken.None).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(11));
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(5));

        AssertRuleBased(result, "timeout");
    }

    [Fact]
    public async Task CallerCancellation_Propagates()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new FakeChatClient(async (_, ct) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return FakeChatClient.Answer("{}");
        });
        using var cts = new CancellationTokenSource();

        var pending = Personalizer(client).PersonalizeAsync(_request, cts.Token).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task ConcurrencyIsBounded_ByMaxConcurrency()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var current = 0;
        var max = 0;
        var entered = 0;
        var client = new FakeChatClient(async (messages, _) =>
        {
            var now = Interlocked.Increment(ref current);
            InterlockedMax(ref max, now);
            Interlocked.Increment(ref entered);
            await gate.Task;
            Interlocked.Decrement(ref current);
            return EchoAnswer(messages, _ => """{"subject":"Hi","preview_text":"","intro":""}""");
        });
        var personalizer = Personalizer(client, o =>
        {
            o.MaxConcurrency = 3;
            o.GroupsPerCall = 1;
        });
        var requests = Enumerable.Range(0, 20).Select(i => _request with { Profile = WithCategory(_request.Profile, $"c{i}") }).ToArray();

        var batch = personalizer.PersonalizeBatchAsync(requests, CancellationToken.None).AsTask();
        await WaitUntil(() => Volatile.Read(ref entered) >= 3);
        await Task.Delay(100);
        Assert.Equal(3, Volatile.Read(ref entered));
        gate.SetResult();
        var results = await batch.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, max);
        Assert.All(results, r => Assert.Equal(ContentSource.Model, r.Source));
    }

    private LlmPersonalizer Personalizer(IChatClient client, Action<LlmPersonalizerOptions>? configure = null)
    {
        var options = new LlmPersonalizerOptions();
        configure?.Invoke(options);
        return new LlmPersonalizer(client, Options.Create(options), _time);
    }

    private static KlaviyoProfile WithCategory(KlaviyoProfile profile, string category) =>
        profile with { Properties = new Dictionary<string, string?>(profile.Properties) { ["favorite_category"] = category } };

    /// <summary>A client that answers one item per group of the prompt, written by <paramref name="item"/> (a JSON object without "group").</summary>
    private static FakeChatClient Echoing(Func<JsonObject, string> item) =>
        new((messages, _) => Task.FromResult(EchoAnswer(messages, item)));

    private static ChatResponse EchoAnswer(IReadOnlyList<ChatMessage> messages, Func<JsonObject, string> item)
    {
        var items = new JsonArray();
        foreach (var group in Groups(messages))
        {
            var answer = JsonNode.Parse(item(group))!.AsObject();
            answer["group"] = group["group"]!.GetValue<string>();
            items.Add(answer);
        }
        return FakeChatClient.Answer(new JsonObject { ["items"] = items }.ToJsonString());
    }

    private static IEnumerable<JsonObject> Groups(IReadOnlyList<ChatMessage> messages) =>
        JsonNode.Parse(messages[^1].Text)!["groups"]!.AsArray().Select(g => g!.AsObject());

    private static void AssertRuleBased(PersonalizedContent result, string reasonPart, PersonalizationRequest? request = null)
    {
        Assert.Equal(ContentSource.RuleBased, result.Source);
        Assert.False(result.IsFallback);
        Assert.Contains(reasonPart, result.FallbackReason, StringComparison.Ordinal);
        var expected = new RuleBasedPersonalizer().Personalize(request ?? _request);
        Assert.NotNull(expected.Subject);
        Assert.Equal(expected.Subject, result.Subject);
        Assert.Equal(expected.PreviewText, result.PreviewText);
        Assert.Equal(expected.IntroHtml, result.IntroHtml);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(10);
        }
    }
}
