using Refly.Core.Common;

namespace Refly.Tests.Unit.Campaigns;

public sealed class RelativeTimeTests
{
    private static readonly DateTimeOffset _now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(180, "in 3 h")]
    [InlineData(45, "in 45 min")]
    [InlineData(-5, "5 min ago")]
    [InlineData(0, "in under a minute")]
    [InlineData(60 * 24 * 5, "in 5 days")]
    [InlineData(-60 * 30, "30 h ago")]
    public void Format_MinutesFromNow_GivesShortPhrase(int minutes, string expected)
    {
        Assert.Equal(expected, RelativeTime.Format(_now.AddMinutes(minutes), _now));
    }
}
