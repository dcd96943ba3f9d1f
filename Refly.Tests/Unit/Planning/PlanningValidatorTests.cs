using Microsoft.Extensions.Time.Testing;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Planning;

/// <summary>The personalizer a start names, and the token prices in the LLM settings.</summary>
public sealed class PlanningValidatorTests
{
    private static readonly DateTimeOffset _now = new(2026, 12, 3, 9, 0, 0, TimeSpan.Zero);
    private readonly StartRunValidator _start = new();
    private readonly PersonalizerSettingsValidator _settings = new();

    [Theory]
    [InlineData(null)]
    [InlineData("rule-based")]
    [InlineData("llm")]
    [InlineData("hybrid")]
    public void Start_KnownOrNoPersonalizer_IsAccepted(string? personalizer) =>
        Assert.True(_start.Validate(Context(personalizer)).IsValid);

    [Theory]
    [InlineData("Hybrid")]
    [InlineData("gpt")]
    [InlineData("")]
    public void Start_UnknownPersonalizer_IsRefusedNamingTheChoices(string personalizer)
    {
        var error = Assert.Single(_start.Validate(Context(personalizer)).Errors);

        Assert.Equal(StartRunErrors.UnknownPersonalizer, error.ErrorCode);
        Assert.Contains("'rule-based'", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'hybrid'", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("'llm'", error.ErrorMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("0.15", "0.60")]
    [InlineData("0", "10000")]
    [InlineData(" 2.5 ", "")]
    public void Prices_EmptyOrNumbers_AreAccepted(string? input, string? output) =>
        Assert.True(_settings.Validate(Input(input, output)).IsValid);

    [Theory]
    [InlineData("-1", null, "input price")]
    [InlineData("0,15", null, "input price")]
    [InlineData("cheap", null, "input price")]
    [InlineData(null, "10001", "output price")]
    public void Prices_NotAPrice_AreRefusedWithAClearMessage(string? input, string? output, string reason)
    {
        var result = _settings.Validate(Input(input, output));

        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.ErrorMessage.Contains(reason, StringComparison.Ordinal) && e.ErrorMessage.Contains("1,000,000 tokens", StringComparison.Ordinal));
    }

    [Fact]
    public void Cost_IsPerMillionTokens_AndNullWithoutPrices()
    {
        Assert.Equal(1.35m, new LlmPersonalizerOptions { InputPricePerMillionTokens = 0.15m, OutputPricePerMillionTokens = 0.60m }.CostOf(1_000_000, 2_000_000));
        Assert.Equal(0.3m, new LlmPersonalizerOptions { OutputPricePerMillionTokens = 0.60m }.CostOf(1_000_000, 500_000));
        Assert.Null(new LlmPersonalizerOptions().CostOf(1_000_000, 1_000_000));
    }

    private static PersonalizerSettingsInput Input(string? input, string? output) =>
        new("llm", "http://localhost:11434/v1", "llama3.1", InputPricePerMillionTokens: input, OutputPricePerMillionTokens: output);

    private static StartRunContext Context(string? personalizer)
    {
        var campaign = new Campaign
        {
            KlaviyoId = "c1",
            Name = "C",
            RawStatus = "Draft",
            Status = CampaignStatus.Draft,
            Messages = [new CampaignMessage { KlaviyoId = "m1", Subject = "Hello" }],
        };
        var request = new StartRunRequest("c1", ["m1"], RunTrigger.Manual, "test") { Personalizer = personalizer };
        return new StartRunContext(request, campaign, null, new SendTimeCheck(new FakeTimeProvider(_now)).Check(CampaignStatus.Draft, null));
    }
}
