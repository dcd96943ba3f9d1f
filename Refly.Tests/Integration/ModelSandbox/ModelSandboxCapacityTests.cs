using System.ClientModel;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Refly.ModelSandbox;
using Xunit.Abstractions;
using static Refly.Tests.Integration.ModelSandbox.ModelSandboxClient;

namespace Refly.Tests.Integration.ModelSandbox;

/// <summary>
/// The capacity model: sequences beyond the profile's wait in its queue, beyond the queue the answer is 429 with
/// Retry-After, and a profile's throughput has its shape. Counting, not timing: the simulated clock is held while the
/// server fills, and throughput is read in simulated time.
/// </summary>
public sealed class ModelSandboxCapacityTests(ITestOutputHelper output)
{
    private static readonly ModelProfile _tiny = new("tiny", MaxSequences: 2, QueueCapacity: 3, AggregateOutputTokensPerSecond: 2_000, PerSequenceOutputTokensPerSecond: 1_000, TimeSpan.Zero);

    [Fact]
    public async Task BeyondTheSequences_RequestsQueue_AndBeyondTheQueue_429WithRetryAfter_ThenTheQueueDrains()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { CustomProfile = _tiny });
        using var http = Http(server);
        var hold = server.Hold();

        var calls = Enumerable.Range(0, 8).Select(_ => PostAsync(http, Body())).ToArray();
        Assert.True(await WaitUntilAsync(() => server.Counters.Throttled == 3), $"throttled {server.Counters.Throttled}");
        Assert.Equal(2, server.Counters.Running);
        Assert.Equal(3, server.Counters.Queued);
        var refused = calls.Where(c => c.IsCompleted).Select(c => c.Result).ToList();
        Assert.Equal(3, refused.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal(429, (int)r.StatusCode);
            Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), r.Headers.RetryAfter?.ToString());
        });

        // The product's client sees the 429 and its Retry-After too.
        var error = await Assert.ThrowsAsync<ClientResultException>(() => ChatClient(server).GetResponseAsync("Write a subject.", new ChatOptions { ModelId = server.ModelId }));
        Assert.Equal(429, error.Status);
        Assert.True(error.GetRawResponse()!.Headers.TryGetValue("Retry-After", out var retryAfter) && int.Parse(retryAfter!) >= 1);

        hold.Dispose();
        var answers = await Task.WhenAll(calls);
        Assert.Equal(5, answers.Count(a => (int)a.StatusCode == 200));
        Assert.Equal(5, server.Counters.Completed);
        Assert.Equal(4, server.Counters.Throttled);
        Assert.Equal(2, server.Counters.MaxRunning);
        Assert.Equal(3, server.Counters.MaxQueued);
        Assert.True(await WaitUntilAsync(() => server.Counters.Running == 0 && server.Counters.Queued == 0));
    }

    [Theory]
    [InlineData("h100", 10)]
    [InlineData("a100", 20)]
    [InlineData("small", 100)]
    public async Task ProfileThroughput_HasItsShape_AndSequencesNeverExceedTheMax(string name, double timeScale)
    {
        var profile = ModelProfile.ByName(name);
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { Profile = name, TimeScale = timeScale });
        using var http = Http(server);
        var requests = Math.Min(profile.MaxSequences * 2, profile.MaxSequences + profile.QueueCapacity);
        var hold = server.Hold();
        var calls = Enumerable.Range(0, requests).Select(i => PostAsync(http, Body(seed: i))).ToArray();
        Assert.True(await WaitUntilAsync(() => server.Counters.Running + server.Counters.Queued == requests, TimeSpan.FromSeconds(60)));

        var wall = Stopwatch.StartNew();
        hold.Dispose();
        var answers = await Task.WhenAll(calls);
        wall.Stop();

        Assert.All(answers, a => Assert.Equal(200, (int)a.StatusCode));
        Assert.Equal(profile.MaxSequences, server.Counters.MaxRunning);
        Assert.Equal(requests - profile.MaxSequences, server.Counters.MaxQueued);
        Assert.Equal(server.Counters.CompletionTokens, server.Counters.DecodedTokens, 1e-6);
        // In simulated time the shared rate is never exceeded, and a full server runs close to it.
        var rate = server.Counters.DecodedTokensPerSecond;
        Assert.InRange(rate, profile.AggregateOutputTokensPerSecond * 0.5, profile.AggregateOutputTokensPerSecond * 1.0001);
        // Nor in real time: the simulation never runs ahead of the clock times the scale (a slow box only slows it down).
        var realRate = server.Counters.CompletionTokens / (wall.Elapsed.TotalSeconds * timeScale);
        output.WriteLine($"{name}: {requests} requests, {server.Counters.CompletionTokens} output tokens, {rate:0} tokens/s simulated, {realRate:0} tokens/s by the scaled wall clock ({wall.ElapsedMilliseconds} ms real)");
        Assert.True(realRate <= profile.AggregateOutputTokensPerSecond * 1.1, $"{realRate:0} tokens/s");
    }

    [Fact]
    public async Task TheProfiles_AreShapedOnThePublishedFigures()
    {
        Assert.Equal((256, 12_500.0), (ModelProfile.H100.MaxSequences, ModelProfile.H100.AggregateOutputTokensPerSecond));
        Assert.Equal(800, ModelProfile.A100.AggregateOutputTokensPerSecond);
        Assert.Equal(41, ModelProfile.Small.AggregateOutputTokensPerSecond);
        Assert.True(ModelProfile.Small.MaxSequences <= 4);
        Assert.Same(ModelProfile.Small, ModelProfile.ByName(" SMALL "));
        Assert.Throws<ArgumentException>(() => ModelProfile.ByName("tpu"));
        await Task.CompletedTask;
    }
}
