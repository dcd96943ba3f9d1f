using Refly.Dashboard.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Settings;
using Refly.ModelSandbox;
using Refly.Tests.Support;
using static Refly.Tests.Integration.ModelSandbox.ModelSandboxClient;

namespace Refly.Tests.Integration.ModelSandbox;

/// <summary>
/// The LLM personalizer against the model stand-in over real HTTP: one generation per fact group, several groups per
/// call, nothing personal in any prompt, the guardrails against each bad output, 429 and 5xx, and demo mode's built-in model.
/// </summary>
public sealed class LlmPersonalizerOverModelSandboxTests
{
    private static readonly MessageContent _original = new("Black Friday: 30% off at https://shop.example.com/bf", "Ends Sunday.");

    private static readonly PersonalizationRequest _request = new(
        new KlaviyoProfile("p1", "anna@example.com", "Anna", null, "Berlin", "DE", null,
            new Dictionary<string, string?> { ["favorite_category"] = "shoes", ["loyalty_tier"] = "Gold" }),
        "m1",
        "Black Friday",
        _original);

    [Fact]
    public async Task ValidOutput_IsUsed_WithTheContactsNameFilledInByRefly()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        var personalizer = Personalizer(server);

        var result = await personalizer.PersonalizeAsync(_request, CancellationToken.None);

        Assert.Equal(ContentSource.Model, result.Source);
        Assert.Contains("Black Friday", result.Subject, StringComparison.Ordinal);
        Assert.NotNull(result.PreviewText);
        Assert.StartsWith("<p>Hi Anna, ", result.IntroHtml, StringComparison.Ordinal);
        var seen = Assert.Single(server.Requests);
        Assert.True(seen.StructuredOutput);
        Assert.DoesNotContain("Anna", seen.Prompt, StringComparison.Ordinal);
        var usage = personalizer.Stats.Snapshot();
        Assert.True(usage.OutputTokens > 0 && usage.InputTokens > 0);
        Assert.Equal(server.Counters.CompletionTokens, usage.OutputTokens);
    }

    [Fact]
    public async Task SameFacts_ShareOneCall_AndNoPromptHoldsANameEmailOrId()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        var personalizer = Personalizer(server);
        string[] tiers = ["bronze", "silver", "gold", "platinum"];
        var requests = Enumerable.Range(0, 200).Select(i => _request with
        {
            Profile = new KlaviyoProfile(
                $"01J{i:D6}PROFILE", $"person.{i}@example.com", NameOf(i), $"Surname{NameOf(i + 7)}", "Lyon", "France", null,
                new Dictionary<string, string?> { ["loyalty_tier"] = tiers[i % 4], ["favorite_category"] = "coffee", ["days_since_last_order"] = (4000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture) }),
        }).ToArray();

        var results = await personalizer.PersonalizeBatchAsync(requests, CancellationToken.None);

        // Four tiers, one recency band: four groups, one call.
        var call = Assert.Single(server.Requests);
        Assert.All(results, r => Assert.Equal(ContentSource.Model, r.Source));
        for (var i = 0; i < requests.Length; i++)
        {
            var profile = requests[i].Profile;
            Assert.StartsWith($"<p>Hi {profile.FirstName}, ", results[i].IntroHtml, StringComparison.Ordinal);
            foreach (var secret in (string?[])[profile.Id, profile.Email, profile.FirstName, profile.LastName, profile.Properties["days_since_last_order"]])
            {
                Assert.DoesNotContain(secret!, call.Prompt, StringComparison.Ordinal);
            }
        }
        Assert.Equal(4, personalizer.Stats.Snapshot().DistinctGroups);
        Assert.Equal(200, personalizer.Stats.Snapshot().ContactsFromModel);
    }

    [Fact]
    public async Task Brief_ReachesThePromptOverHttp_WithOnlyItsFactsAndNoPersonalData()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        var personalizer = Personalizer(server);
        var brief = new CampaignBrief("Early access for Gold members", "warm", ["cheap"], [BriefFact.LoyaltyTier], "en");
        var request = _request with { Brief = brief, BriefHash = brief.Hash() };

        var result = await personalizer.PersonalizeAsync(request, CancellationToken.None);

        Assert.Equal(ContentSource.Model, result.Source);
        var prompt = Assert.Single(server.Requests).Prompt;
        Assert.Contains("Early access for Gold members", prompt, StringComparison.Ordinal);
        Assert.Contains("\"tone\":\"warm\"", prompt, StringComparison.Ordinal);
        Assert.Contains("\"avoid_words\":[\"cheap\"]", prompt, StringComparison.Ordinal);
        Assert.Contains("\"language\":\"en\"", prompt, StringComparison.Ordinal);
        foreach (var secret in (string[])["anna@example.com", "Anna", "\"p1\"", "Berlin", "shoes"])
        {
            Assert.DoesNotContain(secret, prompt, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task BatchedCall_ReturnsOneItemPerGroup()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        var personalizer = Personalizer(server, o => o.GroupsPerCall = 12);
        string[] products = ["Trail Runner 2", "Merino Hoodie", "Cold Brew Kit", "Vitamin C Serum", "Standing Desk Mat", "Cast Iron Skillet"];
        var requests = Enumerable.Range(0, 12).Select(i => _request with
        {
            Profile = _request.Profile with
            {
                Id = $"p{i}",
                Properties = new Dictionary<string, string?> { ["last_product_viewed"] = products[i % 6], ["loyalty_tier"] = i < 6 ? "gold" : "silver" },
            },
        }).ToArray();

        var results = await personalizer.PersonalizeBatchAsync(requests, CancellationToken.None);

        Assert.Single(server.Requests);
        Assert.All(results, r => Assert.Equal(ContentSource.Model, r.Source));
        Assert.Equal(12, personalizer.Stats.Snapshot().GroupsGenerated);
        // Each item was written from its own group's facts: the stand-in's intros name the product they were given.
        for (var i = 0; i < requests.Length; i++)
        {
            var text = $"{results[i].Subject} {results[i].PreviewText} {results[i].IntroHtml}";
            Assert.DoesNotContain(products[(i + 1) % 6], text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(BadOutput.TemplateSyntax, "TemplateSyntax")]
    [InlineData(BadOutput.Html, "HtmlTag")]
    [InlineData(BadOutput.Link, "UnknownUrl")]
    [InlineData(BadOutput.Overlong, "TooLong")]
    [InlineData(BadOutput.InventedPercentage, "InventedNumber")]
    [InlineData(BadOutput.MalformedJson, "malformed output")]
    [InlineData(BadOutput.SchemaViolation, "malformed output")]
    public async Task BadOutput_FallsBackToTheRuleBasedCopy_CountedByReason(BadOutput bad, string reason)
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        switch (bad)
        {
            case BadOutput.TemplateSyntax: server.Faults.TemplateSyntaxRate = 1; break;
            case BadOutput.Html: server.Faults.HtmlRate = 1; break;
            case BadOutput.Link: server.Faults.LinkRate = 1; break;
            case BadOutput.Overlong: server.Faults.OverlongRate = 1; break;
            case BadOutput.InventedPercentage: server.Faults.InventedPercentageRate = 1; break;
            case BadOutput.MalformedJson: server.Faults.MalformedJsonRate = 1; break;
            case BadOutput.SchemaViolation: server.Faults.SchemaViolationRate = 1; break;
        }
        var personalizer = Personalizer(server);

        var result = await personalizer.PersonalizeAsync(_request, CancellationToken.None);

        AssertRuleBased(result, reason, _request);
        Assert.Equal(1, server.Counters.BadOutputs);
        Assert.Contains(personalizer.Stats.Snapshot().GroupFallbacksByReason, r => r.Key.Contains(reason, StringComparison.Ordinal) && r.Value == 1);
    }

    [Fact]
    public async Task ServerError_IsTriedAgain_ThenFallsBackToTheRuleBasedCopy()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        server.Faults.ServerErrorRate = 1;
        var personalizer = Personalizer(server, o => o.MaxAttempts = 2);

        var result = await personalizer.PersonalizeAsync(_request, CancellationToken.None);

        AssertRuleBased(result, "server error 500", _request);
        Assert.Equal(2, server.Counters.ServerErrors);
        Assert.Equal(1, personalizer.Stats.Snapshot().Retries);
    }

    [Fact]
    public async Task Throttled_BacksOffHonouringRetryAfter_AndEveryGroupStillGetsModelCopy()
    {
        // Two sequences and one queue place: a limit above three draws 429s with Retry-After.
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions
        {
            CustomProfile = new ModelProfile("tiny", MaxSequences: 2, QueueCapacity: 1, AggregateOutputTokensPerSecond: 4_000, PerSequenceOutputTokensPerSecond: 2_000, TimeSpan.Zero),
        });
        var personalizer = Personalizer(server, o =>
        {
            o.GroupsPerCall = 1;
            o.MaxConcurrency = 16;
            o.MaxAttempts = 10;
        });
        var requests = Enumerable.Range(0, 24).Select(i => _request with
        {
            Profile = _request.Profile with { Properties = new Dictionary<string, string?> { ["last_product_viewed"] = $"Product {(char)('A' + i)}" } },
        }).ToArray();

        var results = await personalizer.PersonalizeBatchAsync(requests, CancellationToken.None);

        Assert.All(results, r => Assert.Equal(ContentSource.Model, r.Source));
        var usage = personalizer.Stats.Snapshot();
        Assert.True(server.Counters.Throttled > 0, "the stand-in never throttled");
        Assert.Equal(server.Counters.Throttled, usage.Throttled);
        Assert.True(usage.Backoffs >= 1);
        Assert.Equal(24, usage.GroupsGenerated);
        Assert.True(server.Counters.MaxRunning <= 2);
    }

    [Fact]
    public async Task DemoMode_LlmWithoutEndpoint_UsesTheBuiltInModel()
    {
        await using var app = new ReflyAppFactory();
        _ = app.ServerAddress;
        var model = app.Services.GetRequiredService<ModelSandboxHost>().Current;
        Assert.NotNull(model);
        var settings = app.Services.GetRequiredService<SettingsService>();

        // Settings accept "LLM" with neither endpoint nor model: the built-in model stands in.
        var saved = await settings.SaveAsync(app.Services.GetRequiredService<PersonalizerSettings>(), new PersonalizerSettingsInput("llm", null, null), CancellationToken.None);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors));
        var personalizer = Assert.IsType<LlmPersonalizer>(app.Services.GetRequiredService<PersonalizerSelector>().Current);

        var result = await personalizer.PersonalizeAsync(_request with { MessageId = $"demo-{Guid.NewGuid():N}" }, CancellationToken.None);

        Assert.Equal(ContentSource.Model, result.Source);
        Assert.Equal(1, model.Counters.Completed);
        Assert.Equal(ModelSandboxServer.DemoModelId, Assert.Single(model.Requests).Model);
    }

    internal static void AssertRuleBased(PersonalizedContent result, string reasonPart, PersonalizationRequest request)
    {
        Assert.Equal(ContentSource.RuleBased, result.Source);
        Assert.Contains(reasonPart, result.FallbackReason, StringComparison.Ordinal);
        var expected = new RuleBasedPersonalizer().Personalize(request);
        Assert.Equal(expected.Subject, result.Subject);
        Assert.Equal(expected.PreviewText, result.PreviewText);
        Assert.Equal(expected.IntroHtml, result.IntroHtml);
    }

    private static string NameOf(int i) => string.Concat("Zo", ((char)('a' + (i % 26))).ToString(), ((char)('a' + (i / 26))).ToString(), "ria");

    private static LlmPersonalizer Personalizer(ModelSandboxServer server, Action<LlmPersonalizerOptions>? configure = null)
    {
        var options = new LlmPersonalizerOptions { ModelId = server.ModelId };
        configure?.Invoke(options);
        return new LlmPersonalizer(ChatClient(server), Options.Create(options), TimeProvider.System);
    }
}
