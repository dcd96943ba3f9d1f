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
/// The LLM personalizer against the model stand-in over real HTTP instead of a hand stub (the cases of
/// LlmPersonalizerTests that a server can produce), and demo mode's built-in model.
/// </summary>
public sealed class LlmPersonalizerOverModelSandboxTests
{
    private static readonly PersonalizationRequest _request = new(
        new KlaviyoProfile("p1", "anna@example.com", "Anna", null, "Berlin", "DE", null,
            new Dictionary<string, string?> { ["favorite_category"] = "shoes", ["loyalty_tier"] = "Gold" }),
        "m1",
        "Black Friday",
        new MessageContent("Black Friday: 30% off at https://shop.example.com/bf", "Ends Sunday."));

    [Fact]
    public async Task ValidOutput_IsUsed_AndThePromptCarriesNoEmail()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });

        var result = await Personalizer(server).PersonalizeAsync(_request, CancellationToken.None);

        Assert.False(result.IsFallback, result.FallbackReason);
        Assert.Contains("Black Friday", result.Subject, StringComparison.Ordinal);
        Assert.NotNull(result.PreviewText);
        Assert.StartsWith("<p>", result.IntroHtml, StringComparison.Ordinal);
        var seen = Assert.Single(server.Requests);
        Assert.True(seen.StructuredOutput);
        Assert.DoesNotContain("anna@example.com", seen.Prompt, StringComparison.Ordinal);
        Assert.True(server.Counters.CompletionTokens > 0);
    }

    [Theory]
    [InlineData(BadOutput.TemplateSyntax, "TemplateSyntax")]
    [InlineData(BadOutput.Html, "HtmlTag")]
    [InlineData(BadOutput.Link, "UnknownUrl")]
    [InlineData(BadOutput.Overlong, "TooLong")]
    [InlineData(BadOutput.MalformedJson, "malformed output")]
    [InlineData(BadOutput.SchemaViolation, "")]
    public async Task BadOutput_FallsBackToOriginal(BadOutput bad, string reason)
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { TimeScale = 100 });
        switch (bad)
        {
            case BadOutput.TemplateSyntax: server.Faults.TemplateSyntaxRate = 1; break;
            case BadOutput.Html: server.Faults.HtmlRate = 1; break;
            case BadOutput.Link: server.Faults.LinkRate = 1; break;
            case BadOutput.Overlong: server.Faults.OverlongRate = 1; break;
            case BadOutput.MalformedJson: server.Faults.MalformedJsonRate = 1; break;
            case BadOutput.SchemaViolation: server.Faults.SchemaViolationRate = 1; break;
        }

        var result = await Personalizer(server).PersonalizeAsync(_request, CancellationToken.None);

        Assert.True(result.IsFallback);
        Assert.Contains(reason, result.FallbackReason, StringComparison.Ordinal);
        Assert.Null(result.Subject);
    }

    [Fact]
    public async Task ServerError_And429_FallBackToOriginal()
    {
        await using var server = await ModelSandboxServer.StartAsync(new ModelSandboxOptions
        {
            CustomProfile = new ModelProfile("one", 1, 0, 100, 100, TimeSpan.Zero),
        });
        var personalizer = Personalizer(server, o => o.MaxConcurrency = 2);
        server.Faults.ServerErrorRate = 1;
        Assert.Contains("error:", (await personalizer.PersonalizeAsync(_request, CancellationToken.None)).FallbackReason, StringComparison.Ordinal);

        // One sequence, no queue: while it is held, the next call gets 429 and falls back; the held one then completes.
        server.Faults.Reset();
        var hold = server.Hold();
        var first = personalizer.PersonalizeAsync(_request, CancellationToken.None).AsTask();
        Assert.True(await WaitUntilAsync(() => server.Counters.Running == 1));
        var second = await personalizer.PersonalizeAsync(_request, CancellationToken.None);
        Assert.True(second.IsFallback);
        Assert.Equal(1, server.Counters.Throttled);
        hold.Dispose();
        Assert.False((await first).IsFallback);
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

        var result = await personalizer.PersonalizeAsync(_request, CancellationToken.None);

        Assert.False(result.IsFallback, result.FallbackReason);
        Assert.Equal(1, model.Counters.Completed);
        Assert.Equal(ModelSandboxServer.DemoModelId, Assert.Single(model.Requests).Model);
    }

    private static LlmPersonalizer Personalizer(ModelSandboxServer server, Action<LlmPersonalizerOptions>? configure = null)
    {
        var options = new LlmPersonalizerOptions();
        configure?.Invoke(options);
        return new LlmPersonalizer(ChatClient(server), Options.Create(options), TimeProvider.System);
    }
}
