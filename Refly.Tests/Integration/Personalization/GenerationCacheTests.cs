using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.ModelSandbox;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Personalization;

/// <summary>The LLM personalizer's generations in the product's SQLite database (real file, migrations), across a restart.</summary>
public sealed class GenerationCacheTests
{
    private static readonly MessageContent _original = new("Early access to the autumn collection", "Members shop first.");

    [Fact]
    public async Task Cache_SurvivesARestart_NoModelCalls_SameCopy()
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        await using var host = await CoreTestHost.StartAsync(settings: Settings(model), startScheduler: false);
        var requests = Requests(_original);

        var first = await Llm(host).PersonalizeBatchAsync(requests, CancellationToken.None);
        var calls = model.Requests.Count;
        Assert.Equal(1, calls);
        Assert.All(first, r => Assert.Equal(ContentSource.Model, r.Source));

        await host.RestartAsync();
        var personalizer = Llm(host);
        var second = await personalizer.PersonalizeBatchAsync(requests, CancellationToken.None);

        Assert.Equal(calls, model.Requests.Count);
        Assert.Equal(first, second);
        var usage = personalizer.Stats.Snapshot();
        Assert.Equal(0, usage.ModelCalls);
        Assert.Equal(3, usage.CacheHits);
        Assert.Equal(3, usage.DistinctGroups);
    }

    [Fact]
    public async Task EditedMessage_IsAMiss_AndItsNewCopyReplacesTheOld()
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        await using var host = await CoreTestHost.StartAsync(settings: Settings(model), startScheduler: false);
        await Llm(host).PersonalizeBatchAsync(Requests(_original), CancellationToken.None);

        await host.RestartAsync();
        var edited = await Llm(host).PersonalizeBatchAsync(Requests(_original with { Subject = "The autumn collection is here" }), CancellationToken.None);

        Assert.Equal(2, model.Requests.Count);
        Assert.All(edited, r => Assert.Contains("autumn collection is here", r.Subject, StringComparison.Ordinal));
    }

    private static Dictionary<string, string?> Settings(ModelSandboxServer model) => new()
    {
        ["Personalization:Personalizer"] = "llm",
        ["Personalization:Llm:Endpoint"] = model.Endpoint.ToString(),
        ["Personalization:Llm:ModelId"] = model.ModelId,
    };

    private static LlmPersonalizer Llm(CoreTestHost host) =>
        Assert.IsType<LlmPersonalizer>(host.Services.GetRequiredService<PersonalizerSelector>().Current);

    private static PersonalizationRequest[] Requests(MessageContent original)
    {
        string[] tiers = ["silver", "gold", "platinum"];
        return Enumerable.Range(0, 30).Select(i => new PersonalizationRequest(
            new KlaviyoProfile($"p{i}", $"c{i}@example.com", "Mia", null, "Porto", "Portugal", null,
                new Dictionary<string, string?> { ["loyalty_tier"] = tiers[i % 3] }),
            "msg-autumn",
            "Autumn preview",
            original)).ToArray();
    }
}
