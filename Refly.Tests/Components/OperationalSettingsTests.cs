using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Settings;
using Refly.Core.Triggers;
using Refly.Dashboard.Components.Pages.Admin;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>
/// The Settings page's automatic flow, campaign sync and personalizer sections on the real <see cref="SettingsService"/> and the features' sections:
/// what the form shows, what a refused save says, and that the LLM key is never rendered back.
/// </summary>
public sealed class OperationalSettingsTests : MudTestContext, IAsyncLifetime
{
    private const string LlmKey = "sk-local-test-9f8e7d6c5b4a3f2e1d0c";
    private CoreTestHost _host = null!;

    async Task IAsyncLifetime.InitializeAsync()
    {
        _host = await CoreTestHost.StartAsync(withSettings: true);
        Services.AddSingleton(_host.Get<SettingsService>());
        Services.AddSingleton(_host.Get<TriggerSettings>());
        Services.AddSingleton(_host.Get<CampaignSyncSettings>());
        Services.AddSingleton(_host.Get<RateLimitSettings>());
        Services.AddSingleton(_host.Get<PersonalizerSettings>());
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await _host.DisposeAsync();
    }

    private TriggerSettings Triggers => _host.Get<TriggerSettings>();

    private PersonalizerSettings Personalizers => _host.Get<PersonalizerSettings>();

    private static IElement Input(IRenderedComponent<OperationalSettings> cut, string testId)
    {
        var element = cut.Find($"[data-testid='{testId}']");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input") ?? throw new InvalidOperationException($"{testId} has no input");
    }

    private static void Click(IRenderedComponent<OperationalSettings> cut, string testId) => cut.Find($"[data-testid='{testId}']").Click();

    [Fact]
    public void Form_ShowsTheValuesInUse_AndWhereTheyComeFrom()
    {
        var triggers = Triggers.Current;
        var sync = _host.Get<CampaignSyncSettings>().Current;

        var cut = Render<OperationalSettings>();

        Assert.Equal(triggers.TagName.Value, Input(cut, "tag-name-input").GetAttribute("value"));
        Assert.Equal(IntervalInput.Format(triggers.PollInterval.Value), Input(cut, "poll-interval-input").GetAttribute("value"));
        Assert.Equal(IntervalInput.Format(sync.Value), Input(cut, "sync-interval-input").GetAttribute("value"));
        Assert.Contains("From configuration", cut.Find("[data-testid='trigger-settings']").TextContent, StringComparison.Ordinal);
        Assert.Contains("No API key", cut.Find("[data-testid='llm-key-status']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void PollIntervalTooShort_IsRefusedWithTheReason_AndNothingIsSaved()
    {
        var before = Triggers.Current;
        var cut = Render<OperationalSettings>();

        Input(cut, "poll-interval-input").Input("5s");
        Click(cut, "save-trigger-settings");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid='settings-error']")));
        var error = cut.Find("[data-testid='trigger-settings'] [data-testid='settings-error']").TextContent;
        Assert.StartsWith("Tag poll interval must be between", error.Trim(), StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid='settings-saved']"));
        var after = Triggers.Current;
        Assert.False(after.PollInterval.Saved);
        Assert.Equal(before.PollInterval.Value, after.PollInterval.Value);
    }

    [Fact]
    public void SavedTagName_IsShownAsSavedHere_AndUseConfigurationRemovesIt()
    {
        var configured = Triggers.Current.TagName.Value;
        var cut = Render<OperationalSettings>();

        Input(cut, "tag-name-input").Input("  Spring auto  ");
        Click(cut, "save-trigger-settings");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid='trigger-settings'] [data-testid='settings-saved']")));
        Assert.Equal("Spring auto", Triggers.Current.TagName.Value);
        Assert.Equal("Spring auto", Input(cut, "tag-name-input").GetAttribute("value"));
        Assert.Contains("Saved here", cut.Find("[data-testid='trigger-settings']").TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid='trigger-settings']").QuerySelectorAll("button").Single(b => b.TextContent.Contains("Use configuration", StringComparison.Ordinal)).Click();

        cut.WaitForAssertion(() => Assert.Equal(configured, Input(cut, "tag-name-input").GetAttribute("value")));
        Assert.False(Triggers.Current.TagName.Saved);
        Assert.Contains("From configuration", cut.Find("[data-testid='trigger-settings']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void RateLimitShare_OutOfRangeIsRefused_ASavedOneIsShownAndUseConfigurationRemovesIt()
    {
        var cut = Render<OperationalSettings>();
        Assert.Equal("90%", Input(cut, "rate-limit-share-input").GetAttribute("value"));
        Assert.Contains("From configuration", cut.Find("[data-testid='rate-limit-settings']").TextContent, StringComparison.Ordinal);

        Input(cut, "rate-limit-share-input").Input("150%");
        Click(cut, "save-rate-limit-settings");
        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid='rate-limit-settings'] [data-testid='settings-error']")));
        Assert.Contains("between 10% and 100%", cut.Find("[data-testid='rate-limit-settings'] [data-testid='settings-error']").TextContent, StringComparison.Ordinal);
        Assert.False(_host.Get<RateLimitSettings>().Current.Saved);

        Input(cut, "rate-limit-share-input").Input("0.6");
        Click(cut, "save-rate-limit-settings");
        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid='rate-limit-settings'] [data-testid='settings-saved']")));
        Assert.Equal(0.6, _host.Get<RateLimitSettings>().Current.Value);
        Assert.Equal("60%", Input(cut, "rate-limit-share-input").GetAttribute("value"));
        Assert.Contains("Saved here", cut.Find("[data-testid='rate-limit-settings']").TextContent, StringComparison.Ordinal);

        cut.Find("[data-testid='rate-limit-settings']").QuerySelectorAll("button").Single(b => b.TextContent.Contains("Use configuration", StringComparison.Ordinal)).Click();
        cut.WaitForAssertion(() => Assert.Equal("90%", Input(cut, "rate-limit-share-input").GetAttribute("value")));
        Assert.False(_host.Get<RateLimitSettings>().Current.Saved);
    }

    [Fact]
    public void LlmKey_IsSavedButNeverRenderedBack_OnlyItsMask()
    {
        var cut = Render<OperationalSettings>();

        SaveLlm(cut, model: "llama3.1");

        cut.WaitForAssertion(() => Assert.Single(cut.FindAll("[data-testid='personalizer-settings'] [data-testid='settings-saved']")));
        var view = Personalizers.Current;
        Assert.Equal(LlmPersonalizer.PersonalizerName, view.Personalizer.Value);
        Assert.True(view.MaskedLlmApiKey.Saved);
        Assert.DoesNotContain(LlmKey, cut.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain(LlmKey[6..^4], cut.Markup, StringComparison.Ordinal);
        Assert.Contains(view.MaskedLlmApiKey.Value!, cut.Find("[data-testid='llm-key-status']").TextContent, StringComparison.Ordinal);
        Assert.Contains("saved here", cut.Find("[data-testid='llm-key-status']").TextContent, StringComparison.Ordinal);
        Assert.True(string.IsNullOrEmpty(Input(cut, "llm-key-input").GetAttribute("value")));
    }

    [Fact]
    public void LlmWithoutModel_IsRefusedWithTheReason_TheKeyIsClearedFromTheForm_AndNothingIsSaved()
    {
        var cut = Render<OperationalSettings>();

        SaveLlm(cut, model: "");

        cut.WaitForAssertion(() => Assert.NotEmpty(cut.FindAll("[data-testid='personalizer-settings'] [data-testid='settings-error']")));
        Assert.Contains("model", cut.Find("[data-testid='personalizer-settings'] [data-testid='settings-error']").TextContent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(LlmKey, cut.Markup, StringComparison.Ordinal);
        var view = Personalizers.Current;
        Assert.False(view.Personalizer.Saved);
        Assert.False(view.MaskedLlmApiKey.Saved);
        Assert.Null(view.MaskedLlmApiKey.Value);
    }

    /// <summary>Chooses the LLM personalizer with a local endpoint, <paramref name="model"/> and <see cref="LlmKey"/>, and saves.</summary>
    private static void SaveLlm(IRenderedComponent<OperationalSettings> cut, string model)
    {
        ChooseLlm(cut);
        Input(cut, "llm-endpoint-input").Input("http://localhost:11434/v1");
        Input(cut, "llm-model-input").Input(model);
        Input(cut, "llm-key-input").Input(LlmKey);
        Click(cut, "save-personalizer-settings");
    }

    private static IElement LlmRadio(IRenderedComponent<OperationalSettings> cut) =>
        cut.FindAll("[data-testid='personalizer-choice'] label").Single(l => l.TextContent.Contains("LLM", StringComparison.Ordinal))
            .QuerySelector("input[type='radio']") ?? throw new InvalidOperationException("The LLM choice has no radio input.");

    private static void ChooseLlm(IRenderedComponent<OperationalSettings> cut)
    {
        Assert.False(LlmRadio(cut).IsChecked());
        LlmRadio(cut).Click();
        cut.WaitForAssertion(() => Assert.True(LlmRadio(cut).IsChecked()));
    }
}
