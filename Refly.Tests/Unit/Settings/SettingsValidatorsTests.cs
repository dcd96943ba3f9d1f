using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.Core.Settings;
using Refly.Core.Triggers;

namespace Refly.Tests.Unit.Settings;

public sealed class SettingsValidatorsTests
{
    private readonly TriggerSettingsValidator _triggers = new();
    private readonly CampaignSyncSettingsValidator _sync = new();
    private readonly PersonalizerSettingsValidator _personalizer = new();
    private readonly RateLimitSettingsValidator _rateLimits = new();

    [Theory]
    [InlineData("90%", 0.9)]
    [InlineData(" 10 % ", 0.1)]
    [InlineData("100%", 1.0)]
    [InlineData("0.75", 0.75)]
    [InlineData("1", 1.0)]
    public void RateLimitShare_PercentOrFraction_IsAccepted(string text, double share)
    {
        Assert.True(_rateLimits.Validate(new RateLimitSettingsInput(text)).IsValid);
        Assert.True(ShareInput.TryParse(text, out var parsed));
        Assert.Equal(share, parsed, 9);
    }

    [Theory]
    [InlineData("5%", "between 10% and 100%")]
    [InlineData("0.05", "between 10% and 100%")]
    [InlineData("150%", "between 10% and 100%")]
    [InlineData("1.5", "between 10% and 100%")]
    [InlineData("ninety", "enter a percentage")]
    [InlineData("", "enter a percentage")]
    [InlineData(null, "enter a percentage")]
    [InlineData("-0.5", "enter a percentage")]
    public void RateLimitShare_OutOfRangeOrNotANumber_IsRefusedWithReason(string? text, string reason) =>
        AssertRefused(_rateLimits.Validate(new RateLimitSettingsInput(text)), reason);

    [Theory]
    [InlineData("Refly: Personalize", "00:01:00")]
    [InlineData("  padded tag  ", "15s")]
    [InlineData("Black Friday", "2h")]
    [InlineData("x", "1.00:00:00")]
    [InlineData("Spring sale", "5 min")]
    public void Triggers_Valid_AreAccepted(string tag, string interval) =>
        Assert.True(_triggers.Validate(new TriggerSettingsInput(tag, interval)).IsValid);

    [Theory]
    [InlineData(null, "tag name")]
    [InlineData("", "tag name")]
    [InlineData("   ", "tag name")]
    [InlineData("line\nbreak", "control characters")]
    public void Triggers_BadTagName_IsRefusedWithReason(string? tag, string reason) =>
        AssertRefused(_triggers.Validate(new TriggerSettingsInput(tag, "00:01:00")), reason);

    [Fact]
    public void Triggers_TagNameOverTheLimit_IsRefused_ButTheLimitItselfIsAccepted()
    {
        var atLimit = new string('t', TriggerSettingsValidator.MaxTagNameLength);
        Assert.True(_triggers.Validate(new TriggerSettingsInput($"  {atLimit}  ", "00:01:00")).IsValid);
        AssertRefused(_triggers.Validate(new TriggerSettingsInput(atLimit + "t", "00:01:00")), "100 characters");
    }

    [Theory]
    [InlineData(null, "enter a duration")]
    [InlineData("", "enter a duration")]
    [InlineData("soon", "enter a duration")]
    [InlineData("90", "enter a duration")]
    [InlineData("10 parsecs", "enter a duration")]
    [InlineData("14s", "between 15 s and 24 h")]
    [InlineData("00:00:01", "between 15 s and 24 h")]
    [InlineData("24.5h", "between 15 s and 24 h")]
    [InlineData("2.00:00:00", "between 15 s and 24 h")]
    [InlineData("99999999999999h", "between 15 s and 24 h")]
    public void Triggers_BadPollInterval_IsRefusedWithReason(string? interval, string reason) =>
        AssertRefused(_triggers.Validate(new TriggerSettingsInput("Refly: Personalize", interval)), reason);

    [Theory]
    [InlineData("30s", true)]
    [InlineData("00:00:29", false)]
    [InlineData("24h", true)]
    [InlineData("1441 min", false)]
    [InlineData("whenever", false)]
    public void CampaignSync_IntervalBounds(string interval, bool valid) =>
        Assert.Equal(valid, _sync.Validate(new CampaignSyncSettingsInput(interval)).IsValid);

    [Fact]
    public void CampaignSync_TooShort_SaysTheBounds() =>
        AssertRefused(_sync.Validate(new CampaignSyncSettingsInput("10s")), "between 30 s and 24 h");

    [Theory]
    [InlineData("rule-based", null, null, null)]
    [InlineData("rule-based", "http://localhost:11434/v1", "llama3.1", null)]
    [InlineData("llm", "http://localhost:11434/v1", "llama3.1", null)]
    [InlineData("llm", "https://llm.example.com/v1", "gpt-4o-mini", "test_llm_key_fake_0001")]
    public void Personalizer_Valid_IsAccepted(string personalizer, string? endpoint, string? model, string? key) =>
        Assert.True(_personalizer.Validate(new PersonalizerSettingsInput(personalizer, endpoint, model, key)).IsValid);

    [Theory]
    [InlineData("llm", null, "llama3.1", "needs an endpoint")]
    [InlineData("llm", "  ", "llama3.1", "needs an endpoint")]
    [InlineData("llm", "http://localhost:11434/v1", null, "needs a model")]
    [InlineData("llm", "http://localhost:11434/v1", "", "needs a model")]
    [InlineData("llm", "localhost:11434", "llama3.1", "absolute http:// or https:// URL")]
    [InlineData("llm", "/v1", "llama3.1", "absolute http:// or https:// URL")]
    [InlineData("rule-based", "ftp://llm.example.com", null, "absolute http:// or https:// URL")]
    [InlineData("llm", "https://user:pass@llm.example.com/v1", "m", "without a user name or password")]
    [InlineData("magic", null, null, "rule-based or the LLM")]
    [InlineData(null, null, null, "rule-based or the LLM")]
    public void Personalizer_Invalid_IsRefusedWithAClearMessage(string? personalizer, string? endpoint, string? model, string reason) =>
        AssertRefused(_personalizer.Validate(new PersonalizerSettingsInput(personalizer, endpoint, model)), reason);

    [Theory]
    [InlineData("has space")]
    [InlineData("tab\tkey")]
    public void Personalizer_BadApiKey_IsRefused(string key) =>
        AssertRefused(_personalizer.Validate(new PersonalizerSettingsInput("llm", "http://localhost:11434/v1", "m", key)), "API key");

    [Fact]
    public void Personalizer_EmptyApiKey_IsAllowedForLocalEndpoints() =>
        Assert.True(_personalizer.Validate(new PersonalizerSettingsInput("llm", "http://127.0.0.1:8080/v1", "local-model", "")).IsValid);

    [Theory]
    [InlineData("00:01:30", 90)]
    [InlineData("90s", 90)]
    [InlineData("1.5 min", 90)]
    [InlineData("2h", 7200)]
    [InlineData(" 45 seconds ", 45)]
    public void IntervalInput_Parses(string text, double seconds)
    {
        Assert.True(IntervalInput.TryParse(text, out var interval));
        Assert.Equal(TimeSpan.FromSeconds(seconds), interval);
    }

    private static void AssertRefused(FluentValidation.Results.ValidationResult result, string reason)
    {
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains(reason, StringComparison.OrdinalIgnoreCase));
    }
}
