using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;

namespace Refly.Tests.Unit.Klaviyo;

public sealed class KlaviyoPacingTests
{
    [Fact]
    public async Task Send_ManyRequestsOverATinyLimit_AreSpreadOverTheWindows()
    {
        using var host = new KlaviyoTestHost((_, _) => new HttpResponseMessage(HttpStatusCode.OK));
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(KlaviyoServiceCollectionExtensions.HttpClientName);
        var tiny = new KlaviyoEndpoint("test_tiny", BurstPerSecond: 2, SteadyPerMinute: 1000);

        var sends = Enumerable.Range(0, 6).Select(async i =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"{KlaviyoTestHost.BaseUrl}/api/test?i={i}");
            request.Options.Set(KlaviyoEndpoint.OptionKey, tiny);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        });
        var statuses = await Task.WhenAll(sends);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        var times = host.Handler.Requests.Select(r => r.At).Order().ToList();
        Assert.Equal(6, times.Count);

        // At 2 per second, 6 requests need at least two more windows after the first burst...
        Assert.True(times[^1] - times[0] >= TimeSpan.FromMilliseconds(1500), $"6 requests went out within {(times[^1] - times[0]).TotalMilliseconds} ms");

        // ...and no three of them ever went out close together (a slow machine only spreads them further).
        for (var i = 2; i < times.Count; i++)
        {
            Assert.True(times[i] - times[i - 2] >= TimeSpan.FromMilliseconds(500), $"requests {i - 2}..{i} within {(times[i] - times[i - 2]).TotalMilliseconds} ms");
        }

        var stats = host.Stats.For("test_tiny");
        Assert.Equal(6, stats.RequestsSent);
        Assert.True(stats.PacingWait >= TimeSpan.FromSeconds(2), $"waited {stats.PacingWait} in all");
    }

    [Fact]
    public async Task Limiters_AreSharedAcrossClientInstances_PerEndpointKey()
    {
        using var host = new KlaviyoTestHost((_, _) => FakeKlaviyoHandler.Json(KlaviyoJson.Account()));

        // get_accounts allows 1 per second: two calls through two resolved clients must still be a second apart.
        await host.Client.GetAccountAsync(CancellationToken.None);
        await host.Client.GetAccountAsync(CancellationToken.None);

        var times = host.Handler.Requests.Select(r => r.At).ToList();
        Assert.Equal(2, times.Count);
        Assert.True(times[1] - times[0] >= TimeSpan.FromMilliseconds(600), $"second call after {(times[1] - times[0]).TotalMilliseconds} ms");
        Assert.Same(host.Services.GetRequiredService<KlaviyoRateLimiters>(), host.Services.GetRequiredService<KlaviyoRateLimiters>());
    }

    [Fact]
    public async Task Answers_RateLimitHeadersShowingOthersUsage_SlowThatEndpointOnly()
    {
        // Klaviyo says 300 of the window's 750 are used with 30 s left: 299 by others (one is this request), 10 a second.
        using var host = new KlaviyoTestHost((_, _) =>
        {
            var response = new HttpResponseMessage(HttpStatusCode.OK);
            response.Headers.Add("RateLimit-Limit", "750");
            response.Headers.Add("RateLimit-Remaining", "450");
            response.Headers.Add("RateLimit-Reset", "30");
            return response;
        });
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient(KlaviyoServiceCollectionExtensions.HttpClientName);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{KlaviyoTestHost.BaseUrl}/api/lists/L1/profiles");
        request.Options.Set(KlaviyoEndpoint.OptionKey, KlaviyoEndpoints.GetProfilesForList);

        (await http.SendAsync(request)).Dispose();

        var limiters = host.Services.GetRequiredService<KlaviyoRateLimiters>();
        var state = limiters.PacingState(KlaviyoEndpoints.GetProfilesForList.Key)!;
        Assert.Equal(750, state.LimitPerMinute);
        Assert.InRange(state.OthersPerMinute, 590, 598.1);
        // 0.9 x 98% of 750 is 661.5 a minute; the others take about 598 of it.
        Assert.InRange(state.AllowedPerMinute, 63, 72);
        Assert.Null(limiters.PacingState(KlaviyoEndpoints.GetTemplate.Key));
    }

    [Theory]
    [InlineData("750", "120", "42", true, 750, 120, 42)]
    [InlineData("750, 750;w=60", "120", "42", true, 750, 120, 42)]
    [InlineData("750", "900", "42", true, 750, 750, 42)]
    [InlineData("750", null, "42", false, 0, 0, 0)]
    [InlineData("many", "120", "42", false, 0, 0, 0)]
    [InlineData("0", "0", "42", false, 0, 0, 0)]
    public void RateLimitHeaders_AreReadAsKlaviyoSendsThem(string? limit, string? remaining, string? reset, bool read, int expectedLimit, int expectedRemaining, int expectedReset)
    {
        using var response = new HttpResponseMessage(HttpStatusCode.OK);
        foreach (var (name, value) in new[] { ("RateLimit-Limit", limit), ("RateLimit-Remaining", remaining), ("RateLimit-Reset", reset) })
        {
            if (value is not null)
            {
                response.Headers.TryAddWithoutValidation(name, value);
            }
        }

        Assert.Equal(read, KlaviyoRateLimitState.TryRead(response, out var state));
        Assert.Equal((expectedLimit, expectedRemaining, expectedReset), (state.Limit, state.Remaining, state.ResetSeconds));
    }

    [Fact]
    public async Task Waiters_AreServedFirstInFirstOut()
    {
        using var limiters = new KlaviyoRateLimiters();
        var endpoint = new KlaviyoEndpoint("fifo", 1, 1000);
        var order = new List<int>();

        // The first takes the only permit of this window; the others queue in the order they arrived.
        (await limiters.AcquireAsync(endpoint, CancellationToken.None)).Dispose();
        var waiters = new List<Task>();
        for (var i = 0; i < 3; i++)
        {
            var n = i;
            var acquire = limiters.AcquireAsync(endpoint, CancellationToken.None).AsTask();
            waiters.Add(acquire.ContinueWith(t => { lock (order) { order.Add(n); } t.Result.Dispose(); }, TaskScheduler.Default));
        }

        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([0, 1, 2], order);
    }

    [Fact]
    public async Task Waiting_CanBeCancelled()
    {
        using var limiters = new KlaviyoRateLimiters();
        var endpoint = new KlaviyoEndpoint("cancel", 1, 1);
        (await limiters.AcquireAsync(endpoint, CancellationToken.None)).Dispose();
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await limiters.AcquireAsync(endpoint, cts.Token));
    }
}
