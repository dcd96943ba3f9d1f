using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Refly.ModelSandbox;
using static Refly.Tests.Integration.ModelSandbox.ModelSandboxClient;

namespace Refly.Tests.Integration.ModelSandbox;

/// <summary>Each fault and bad-output switch produces its fault or its bad output; with every switch off, none of them shows.</summary>
public sealed partial class ModelSandboxFaultTests
{
    public static TheoryData<BadOutput> BadOutputs => new(Enum.GetValues<BadOutput>().Where(b => b != BadOutput.None));

    [Theory]
    [MemberData(nameof(BadOutputs))]
    public async Task BadOutputSwitch_ProducesItsBadOutput(BadOutput bad)
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        using var http = Http(server);
        Switch(server.Faults, bad, 1);

        var content = await ContentAsync(await PostAsync(http, Body()));

        Assert.Contains(bad, Traits(content));
        Assert.Equal(1, server.Counters.BadOutputs);

        server.Faults.Reset();
        Assert.Empty(Traits(await ContentAsync(await PostAsync(http, Body()))));
    }

    [Fact]
    public async Task AllSwitchesOff_CopyHasNoneOfTheBadTraits_ForManyPrompts()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        using var http = Http(server);
        for (var seed = 0; seed < 30; seed++)
        {
            Assert.Empty(Traits(await ContentAsync(await PostAsync(http, Body(seed: seed)))));
        }
        Assert.Equal(0, server.Counters.BadOutputs);
    }

    [Fact]
    public async Task ServerErrorSwitch_Answers500_WithAnOpenAiErrorBody()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        using var http = Http(server);
        server.Faults.ServerErrorRate = 1;

        var response = await PostAsync(http, Body());

        Assert.Equal(500, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("server_error", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(1, server.Counters.ServerErrors);
        Assert.Equal(0, server.Counters.Completed);
    }

    [Fact]
    public async Task StallSwitch_HoldsASequenceUntilTheClientGivesUp_OrAnswers504AfterTheStall()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        server.Faults.StallRate = 1;
        using (var impatient = Http(server, TimeSpan.FromMilliseconds(300)))
        {
            await Assert.ThrowsAnyAsync<TaskCanceledException>(() => PostAsync(impatient, Body()));
        }
        Assert.Equal(1, server.Counters.Stalls);
        // The abandoned sequence gives its place back.
        Assert.True(await WaitUntilAsync(() => server.Counters.Running == 0));

        server.Faults.StallDuration = TimeSpan.FromSeconds(5); // 50 ms at this time scale
        using var patient = Http(server);
        Assert.Equal(504, (int)(await PostAsync(patient, Body())).StatusCode);
        Assert.Equal(0, server.Counters.Completed);
    }

    [Fact]
    public async Task SwitchRates_AreDrawnPerRequest_ReproduciblyForASeed()
    {
        async Task<long> BadOutOf40(int seed)
        {
            await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100, Seed = seed });
            using var http = Http(server);
            server.Faults.HtmlRate = 0.5;
            for (var i = 0; i < 40; i++)
            {
                await ContentAsync(await PostAsync(http, Body()));
            }
            return server.Counters.BadOutputs;
        }

        var first = await BadOutOf40(11);
        Assert.InRange(first, 5, 35);
        Assert.Equal(first, await BadOutOf40(11));
    }

    private static void Switch(ModelFaults faults, BadOutput bad, double rate)
    {
        switch (bad)
        {
            case BadOutput.MalformedJson: faults.MalformedJsonRate = rate; break;
            case BadOutput.SchemaViolation: faults.SchemaViolationRate = rate; break;
            case BadOutput.Overlong: faults.OverlongRate = rate; break;
            case BadOutput.TemplateSyntax: faults.TemplateSyntaxRate = rate; break;
            case BadOutput.Html: faults.HtmlRate = rate; break;
            case BadOutput.Link: faults.LinkRate = rate; break;
            case BadOutput.InventedPercentage: faults.InventedPercentageRate = rate; break;
            default: throw new ArgumentOutOfRangeException(nameof(bad));
        }
    }

    /// <summary>What is wrong with <paramref name="content"/> for <see cref="ModelSandboxClient.DraftSchema"/> and <see cref="ModelSandboxClient.Prompt"/>, judged independently of the stand-in.</summary>
    private static HashSet<BadOutput> Traits(string content)
    {
        var traits = new HashSet<BadOutput>();
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(content);
        }
        catch (JsonException)
        {
            traits.Add(BadOutput.MalformedJson);
            return traits;
        }
        if (node is not JsonObject obj || obj.Count != 3 || new[] { "subject", "preview_text", "intro" }.Any(p => obj[p] is not JsonValue v || !v.TryGetValue<string>(out _)))
        {
            traits.Add(BadOutput.SchemaViolation);
            return traits;
        }
        var limits = new Dictionary<string, int> { ["subject"] = 120, ["preview_text"] = 180, ["intro"] = 600 };
        foreach (var (name, limit) in limits)
        {
            var text = obj[name]!.GetValue<string>();
            if (text.Length > limit) traits.Add(BadOutput.Overlong);
            if (text.Contains("{{", StringComparison.Ordinal) || text.Contains("{%", StringComparison.Ordinal)) traits.Add(BadOutput.TemplateSyntax);
            if (HtmlTag().IsMatch(text)) traits.Add(BadOutput.Html);
            if (Link().Matches(text).Any(m => !Prompt.Contains(m.Value, StringComparison.Ordinal))) traits.Add(BadOutput.Link);
            if (Percentage().Matches(text).Any(m => !Prompt.Contains(m.Value, StringComparison.Ordinal))) traits.Add(BadOutput.InventedPercentage);
        }
        return traits;
    }

    [GeneratedRegex(@"<\s*/?\s*[a-zA-Z][^>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"https?://\S+")]
    private static partial Regex Link();

    [GeneratedRegex(@"\d+(\.\d+)?\s*%")]
    private static partial Regex Percentage();
}
