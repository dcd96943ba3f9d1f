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
        new KlaviyoProfile("p1", "anna@example.com", "Anna", null, "Berlin", "DE", null, new Dictionary<string, string?> { ["favorite_category"] = "shoes" }),
        "m1",
        "Black Friday",
        _original);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ValidOutput_IsUsed()
    {
        var client = FakeChatClient.Answering("""{"subject":"Anna, 30% off shoes at https://shop.example.com/bf","preview_text":"Your picks are in.","intro":"Hi Anna, it's on & it's yours."}""");

        var result = await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        Assert.False(result.IsFallback);
        Assert.Equal("Anna, 30% off shoes at https://shop.example.com/bf", result.Subject);
        Assert.Equal("Your picks are in.", result.PreviewText);
        Assert.Equal("<p>Hi Anna, it&#39;s on &amp; it&#39;s yours.</p>", result.IntroHtml);
    }

    [Fact]
    public async Task Prompt_CarriesSanitizedFactsAndTheOriginal()
    {
        var client = FakeChatClient.Answering("""{"subject":"Hi","preview_text":"","intro":""}""");
        var request = _request with { Profile = _request.Profile with { FirstName = "Anna\u0000\n\u202E" } };

        var result = await Personalizer(client).PersonalizeAsync(request, CancellationToken.None);

        var messages = Assert.Single(client.Calls);
        Assert.Equal(ChatRole.System, messages[0].Role);
        var user = messages[^1].Text;
        Assert.Contains("\"first_name\":\"Anna\"", user, StringComparison.Ordinal);
        Assert.Contains("Black Friday: 30% off at https://shop.example.com/bf", user, StringComparison.Ordinal);
        Assert.DoesNotContain("anna@example.com", user, StringComparison.Ordinal);
        Assert.Null(result.PreviewText);
        Assert.Null(result.IntroHtml);
    }

    [Theory]
    [InlineData("""{"subject":"{{ person.email }}","preview_text":"x","intro":"y"}""", "TemplateSyntax")]
    [InlineData("""{"subject":"Hi","preview_text":"x","intro":"Hello {% if person.vip %}VIP{% endif %}"}""", "TemplateSyntax")]
    [InlineData("""{"subject":"Hi","preview_text":"Claim at https://evil.example/win","intro":"y"}""", "UnknownUrl")]
    [InlineData("""{"subject":"Hi","preview_text":"x","intro":"<b>Hello</b>"}""", "HtmlTag")]
    [InlineData("""{"subject":"","preview_text":"x","intro":"y"}""", "MissingSubject")]
    public async Task InvalidOutput_FallsBackToOriginal(string answer, string violation)
    {
        var result = await Personalizer(FakeChatClient.Answering(answer)).PersonalizeAsync(_request, CancellationToken.None);

        AssertFallback(result, violation);
    }

    [Fact]
    public async Task TooLongOutput_FallsBackToOriginal()
    {
        var answer = $$"""{"subject":"{{new string('a', 151)}}","preview_text":"x","intro":"y"}""";

        var result = await Personalizer(FakeChatClient.Answering(answer)).PersonalizeAsync(_request, CancellationToken.None);

        AssertFallback(result, "TooLong");
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("""{"subject": "unterminated""")]
    [InlineData("[1, 2, 3]")]
    public async Task MalformedJson_FallsBackToOriginal(string answer)
    {
        var result = await Personalizer(FakeChatClient.Answering(answer)).PersonalizeAsync(_request, CancellationToken.None);

        AssertFallback(result, "malformed output");
    }

    [Fact]
    public async Task ClientThrows_FallsBackToOriginal()
    {
        var client = new FakeChatClient((_, _) => throw new HttpRequestException("502 Bad Gateway"));

        var result = await Personalizer(client).PersonalizeAsync(_request, CancellationToken.None);

        AssertFallback(result, "error: HttpRequestException");
    }

    [Fact]
    public async Task SlowClient_TimesOut_AndFallsBackToOriginal()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var client = new FakeChatClient(async (_, ct) =>
        {
            entered.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return FakeChatClient.Answer("{}");
        });
        var personalizer = Personalizer(client, o => o.Timeout = TimeSpan.FromSeconds(10));

        var pending = personalizer.PersonalizeAsync(_request, CancellationToken.None).AsTask();
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(5));
        _time.Advance(TimeSpan.FromSeconds(11));
        var result = await pending.WaitAsync(TimeSpan.FromSeconds(5));

        AssertFallback(result, "timeout");
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
    public async Task Batch_ConcurrencyIsBounded_AndOrderKept()
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
            var profileId = messages[^1].Text.Contains("\"first_name\":\"N", StringComparison.Ordinal)
                ? messages[^1].Text.Split("\"first_name\":\"")[1].Split('"')[0]
                : "?";
            return FakeChatClient.Answer($$"""{"subject":"{{profileId}}","preview_text":"","intro":""}""");
        });
        var personalizer = Personalizer(client, o => o.MaxConcurrency = 3);
        var requests = Enumerable.Range(0, 20)
            .Select(i => _request with { Profile = _request.Profile with { Id = $"p{i}", FirstName = $"N{i:D2}x" } })
            .ToArray();

        var batch = personalizer.PersonalizeBatchAsync(requests, CancellationToken.None).AsTask();
        await WaitUntil(() => Volatile.Read(ref entered) >= 3);
        await Task.Delay(100);
        Assert.Equal(3, Volatile.Read(ref entered));
        gate.SetResult();
        var results = await batch.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(3, max);
        Assert.Equal(20, results.Count);
        Assert.All(results, r => Assert.False(r.IsFallback));
        Assert.Equal(requests.Select(r => r.Profile.FirstName), results.Select(r => r.Subject));
    }

    [Fact]
    public async Task Fallback_IsPerContact_OthersInTheBatchStillPersonalized()
    {
        var calls = 0;
        var client = new FakeChatClient((_, _) => Interlocked.Increment(ref calls) % 2 == 0
            ? throw new InvalidOperationException("boom")
            : Task.FromResult(FakeChatClient.Answer("""{"subject":"Hi","preview_text":"","intro":"Hello."}""")));

        var results = await Personalizer(client, o => o.MaxConcurrency = 1)
            .PersonalizeBatchAsync([_request, _request, _request, _request], CancellationToken.None);

        Assert.Equal([false, true, false, true], results.Select(r => r.IsFallback));
    }

    private LlmPersonalizer Personalizer(IChatClient client, Action<LlmPersonalizerOptions>? configure = null)
    {
        var options = new LlmPersonalizerOptions();
        configure?.Invoke(options);
        return new LlmPersonalizer(client, Options.Create(options), _time);
    }

    private static void AssertFallback(PersonalizedContent result, string reasonPart)
    {
        Assert.True(result.IsFallback);
        Assert.Contains(reasonPart, result.FallbackReason, StringComparison.Ordinal);
        Assert.Null(result.Subject);
        Assert.Null(result.PreviewText);
        Assert.Null(result.IntroHtml);
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
