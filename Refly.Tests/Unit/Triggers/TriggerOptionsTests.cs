using Microsoft.Extensions.Options;
using Refly.Core.Triggers;
using Refly.Tests.Support;

namespace Refly.Tests.Unit.Triggers;

public sealed class TriggerOptionsTests
{
    [Fact]
    public void Defaults_AreTheDocumentedTagAndOneMinute()
    {
        var options = new TriggerOptions();

        Assert.Equal("Refly: Personalize", options.TagName);
        Assert.Equal(TimeSpan.FromMinutes(1), options.PollInterval);
        Assert.Equal("Automatic: Scheduled campaigns tagged 'Refly: Personalize' are checked every 1 min.", options.Summary);
    }

    [Theory]
    [InlineData("00:00:30", "30 s")]
    [InlineData("00:05:00", "5 min")]
    [InlineData("02:00:00", "2 h")]
    [InlineData("00:01:30", "90 s")]
    public void Summary_FormatsTheInterval(string interval, string expected)
    {
        var options = new TriggerOptions { TagName = "Auto", PollInterval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture) };

        Assert.EndsWith($"every {expected}.", options.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Triggers:PollInterval", "00:00:00")]
    [InlineData("Triggers:TagName", " ")]
    public async Task Start_InvalidTriggerConfiguration_FailsAtStart(string key, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using var host = await CoreTestHost.StartAsync(settings: new Dictionary<string, string?> { [key] = value });
        });

        Assert.Contains("Triggers:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Configuration_OverridesTagNameAndInterval()
    {
        await using var host = await CoreTestHost.StartAsync(
            settings: new Dictionary<string, string?> { ["Triggers:TagName"] = "Auto personalize", ["Triggers:PollInterval"] = "00:02:00" },
            startScheduler: false);

        var options = host.Get<IOptions<TriggerOptions>>().Value;
        Assert.Equal("Auto personalize", options.TagName);
        Assert.Equal(TimeSpan.FromMinutes(2), options.PollInterval);
    }
}
