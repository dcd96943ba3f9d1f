using System.Globalization;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using Refly.KlaviyoSandbox;

namespace Refly.Tests.Integration.Sandbox;

/// <summary>
/// Klaviyo's rate limits as its documentation describes them: per account and operation, fixed windows of 1 second
/// (burst) and 1 minute (steady), the steady window's state in RateLimit-* headers on every non-429 answer, and one
/// quota shared by every private key of the account. The windows run on a fake clock, so every figure is exact.
/// </summary>
public sealed class SandboxRateLimitTests
{
    private static readonly DateTimeOffset _minute = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Answers_CarryTheSteadyWindowsLimitRemainingAndReset()
    {
        var clock = new FakeTimeProvider(_minute.AddSeconds(20.5));
        await using var sandbox = await StartAsync(clock);
        using var client = sandbox.CreateClient();

        // get_tags: burst 3/s, steady 60/m. 39.5 s are left of the minute: Reset rounds up to 40.
        for (var i = 1; i <= 3; i++)
        {
            using var response = await client.GetAsync("/api/tags");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal((60, 60 - i, 40), Headers(response));
        }

        clock.Advance(TimeSpan.FromSeconds(30));
        using (var later = await client.GetAsync("/api/tags"))
        {
            Assert.Equal((60, 56, 10), Headers(later));
        }

        // A new minute: a fresh steady window.
        clock.SetUtcNow(_minute.AddMinutes(1));
        using var fresh = await client.GetAsync("/api/tags");
        Assert.Equal((60, 59, 60), Headers(fresh));
    }

    [Fact]
    public async Task BurstWindowExhausted_Answers429WithRetryAfterAndNoRateLimitHeaders()
    {
        var clock = new FakeTimeProvider(_minute.AddSeconds(5.25));
        await using var sandbox = await StartAsync(clock);
        using var client = sandbox.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            (await client.GetAsync("/api/tags")).Dispose();
        }

        using var throttled = await client.GetAsync("/api/tags");

        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter?.Delta);
        Assert.False(throttled.Headers.Contains("RateLimit-Remaining"));
        Assert.False(throttled.Headers.Contains("RateLimit-Limit"));

        // The refused request did not count, and the next second is a new burst window.
        clock.Advance(TimeSpan.FromSeconds(0.75));
        using var next = await client.GetAsync("/api/tags");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal((60, 56, 54), Headers(next));
    }

    [Fact]
    public async Task SteadyWindow_IsFixed_ExhaustedUntilTheMinuteThenWhole()
    {
        // get_accounts: burst 1/s, steady 15/m. Fifteen requests one second apart from 12:00:40 exhaust the minute.
        var clock = new FakeTimeProvider(_minute.AddSeconds(40));
        await using var sandbox = await StartAsync(clock);
        using var client = sandbox.CreateClient();
        for (var i = 0; i < 15; i++)
        {
            using var response = await client.GetAsync("/api/accounts");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        // 12:00:55: throttled until the minute, 5 s away.
        using var throttled = await client.GetAsync("/api/accounts");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), throttled.Headers.RetryAfter?.Delta);

        // 12:01:00: a sliding minute would still hold the fifteen requests; Klaviyo's fixed window starts over.
        clock.SetUtcNow(_minute.AddMinutes(1));
        using var allowed = await client.GetAsync("/api/accounts");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal((15, 14, 60), Headers(allowed));
    }

    [Fact]
    public async Task ErrorAnswersAfterTheRateLimit_CarryTheHeaders_UnauthenticatedOnesDoNot()
    {
        var clock = new FakeTimeProvider(_minute);
        await using var sandbox = await StartAsync(clock);
        using var client = sandbox.CreateClient();

        using var missing = await client.GetAsync("/api/lists/NOSUCHLIST/profiles");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal((750, 749, 60), Headers(missing));

        using var stranger = new HttpClient { BaseAddress = sandbox.BaseUrl };
        stranger.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", "Klaviyo-API-Key pk_not_a_key_of_this_account");
        stranger.DefaultRequestHeaders.TryAddWithoutValidation("revision", Refly.KlaviyoSandbox.Spec.SpecCatalog.Revision);
        using var rejected = await stranger.GetAsync("/api/lists/NOSUCHLIST/profiles");
        Assert.Equal(HttpStatusCode.Unauthorized, rejected.StatusCode);
        Assert.False(rejected.Headers.Contains("RateLimit-Remaining"));
    }

    [Fact]
    public async Task PrivateKeysOfOneAccount_ShareOneQuota()
    {
        var clock = new FakeTimeProvider(_minute.AddSeconds(10));
        await using var sandbox = await StartAsync(clock);
        var neighbourKey = sandbox.Store.IssuePrivateKey();
        Assert.NotEqual(sandbox.ApiKey, neighbourKey);
        using var refly = sandbox.CreateClient();
        using var neighbour = sandbox.CreateClient(apiKey: neighbourKey);

        using (var first = await refly.GetAsync("/api/tags"))
        using (var second = await neighbour.GetAsync("/api/tags"))
        {
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(59, Headers(first).Remaining);
            Assert.Equal(58, Headers(second).Remaining);
        }

        // The neighbour spends the rest of this second's burst; Refly's key is throttled by it.
        (await neighbour.GetAsync("/api/tags")).Dispose();
        using var throttled = await refly.GetAsync("/api/tags");
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(1, sandbox.Store.Counters.ThrottledFor("get_tags"));
    }

    private static Task<KlaviyoSandboxServer> StartAsync(FakeTimeProvider clock) =>
        SandboxTestHelpers.StartEmptyAsync(o => o.RateLimitTimeProvider = clock);

    private static (int Limit, int Remaining, int Reset) Headers(HttpResponseMessage response)
    {
        int Read(string name) => int.Parse(Assert.Single(response.Headers.GetValues(name)), CultureInfo.InvariantCulture);
        return (Read("RateLimit-Limit"), Read("RateLimit-Remaining"), Read("RateLimit-Reset"));
    }
}
