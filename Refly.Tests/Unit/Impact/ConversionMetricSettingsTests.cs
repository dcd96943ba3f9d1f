using Microsoft.Extensions.Options;
using Refly.Core.Impact;
using Refly.Core.Settings;

namespace Refly.Tests.Unit.Impact;

public sealed class ConversionMetricSettingsTests
{
    private static ConversionMetricSettings Section() =>
        new(new RuntimeSettings(), new StaticMonitor(new ImpactOptions()));

    [Fact]
    public void Validate_AcceptsOneOfTheAccountsMetrics_RefusesAnUnknownOrEmptyOne()
    {
        var section = Section();
        var known = new[] { "RcvEmail", "PlacedOrd" };

        Assert.True(section.Validate(new ConversionMetricSettingsInput("PlacedOrd", known)).IsValid);
        Assert.Contains("no metric 'Other1'", section.Validate(new ConversionMetricSettingsInput("Other1", known)).Errors[0].ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("Choose", section.Validate(new ConversionMetricSettingsInput(" ", known)).Errors[0].ErrorMessage, StringComparison.Ordinal);
        Assert.False(section.Validate(new ConversionMetricSettingsInput("bad id!", null)).IsValid);
        Assert.Equal("PlacedOrd", section.ToStored(new ConversionMetricSettingsInput(" PlacedOrd ", known))[ConversionMetricSettings.ConversionMetricId]);
    }

    private sealed class StaticMonitor(ImpactOptions value) : IOptionsMonitor<ImpactOptions>
    {
        public ImpactOptions CurrentValue => value;

        public ImpactOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<ImpactOptions, string?> listener) => null;
    }
}
