using System.Diagnostics;
using Refly.Dashboard.Sandbox;

namespace Refly.Tests.Integration.Sandbox;

/// <summary>Runs alone: a timing assertion must not compete with the other tests for the machine's cores.</summary>
[CollectionDefinition(nameof(SandboxThroughputTests), DisableParallelization = true)]
public sealed class SandboxThroughputCollection;

[Collection(nameof(SandboxThroughputTests))]
public sealed class SandboxThroughputTests
{
    [Fact]
    public async Task GroupProfiles_WithLatencyAndConcurrentReaders_ServeWellOver1250ProfilesPerSecond()
    {
        // 250 ms per request as over the internet; limits lifted so only the sandbox's own cost shows.
        await using var sandbox = await SandboxTestHelpers.StartEmptyAsync(o =>
        {
            o.Latency = TimeSpan.FromMilliseconds(250);
            o.RateLimitMultiplier = 1000;
        });
        var list = sandbox.Store.AddList("Big", 200_000);
        using var client = sandbox.CreateClient();

        // Warm up (spec catalog load, JIT of the filtered path) so the measurement is the steady state.
        var warmFilter = Uri.EscapeDataString($"greater-or-equal(joined_group_at,{list.JoinedAt(0):yyyy-MM-ddTHH:mm:ssZ})");
        for (var i = 0; i < 3; i++)
        {
            using (await client.GetJsonAsync($"/api/lists/{list.Id}/profiles?page[size]=100&filter={warmFilter}"))
            {
            }
        }

        // Eight readers each follow their own joined window for four pages (the pipeline's parallel audience read).
        var watch = Stopwatch.StartNew();
        var counts = await Task.WhenAll(Enumerable.Range(0, 8).Select(async reader =>
        {
            var from = list.JoinedAt(reader * 10_000);
            var to = list.JoinedAt((reader + 1) * 10_000);
            var filter = Uri.EscapeDataString($"and(greater-or-equal(joined_group_at,{from:yyyy-MM-ddTHH:mm:ssZ}),less-than(joined_group_at,{to:yyyy-MM-ddTHH:mm:ssZ}))");
            string? url = $"/api/lists/{list.Id}/profiles?page[size]=100&filter={filter}";
            var n = 0;
            for (var page = 0; page < 4 && url is not null; page++)
            {
                using var doc = await client.GetJsonAsync(url);
                n += doc.RootElement.GetProperty("data").GetArrayLength();
                url = doc.RootElement.GetProperty("links").TryGetProperty("next", out var next) ? next.GetString() : null;
            }
            return n;
        }));
        watch.Stop();

        var total = counts.Sum();
        Assert.Equal(3_200, total);
        Assert.True(total / watch.Elapsed.TotalSeconds > 1_250, $"{total} profiles in {watch.Elapsed.TotalMilliseconds:0} ms");
        Console.WriteLine($"{total} profiles in {watch.Elapsed.TotalMilliseconds:0} ms");
        Assert.True(sandbox.Store.WrittenProfileCount == 0);
    }
}
