using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class RunSummaryTests
{
    private static readonly DateTimeOffset _start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static RunView Run(RunState state, long? total, long written, TimeSpan? took, RunTrigger trigger = RunTrigger.Manual, string? by = "ana@example.com") => new(
        Guid.NewGuid(), "C1", state, trigger, by, ["M1"], total, written, written, 0, 0, _start, _start, took is { } t ? _start + t : null,
        null, null, state == RunState.Completed && total is > 0 ? (double)written / total : null, null, null, null);

    [Fact]
    public void Completed_SaysCountsDurationAndWho()
    {
        var summary = RunSummary.Of(Run(RunState.Completed, 198_000, 198_000, TimeSpan.FromSeconds(185)));

        Assert.Equal("Completed · 198,000 of 198,000 · 3 min · by ana@example.com", summary.Text);
        Assert.Equal("Completed", summary.Headline);
    }

    [Fact]
    public void CompletedWithHoldout_SaysHowManyWereHeldOut_AndTheyCountAsDone()
    {
        var run = Run(RunState.Completed, 198_000, 178_200, TimeSpan.FromSeconds(185)) with { HeldOut = 19_800, HoldoutShare = 0.1 };

        Assert.Equal("Completed · 178,200 of 198,000 · 19,800 held out · 3 min · by ana@example.com", RunSummary.Of(run).Text);
        Assert.Equal(100, run.Percent);
    }

    [Fact]
    public void Cancelled_SaysHowFarItGot()
    {
        var summary = RunSummary.Of(Run(RunState.Cancelled, 1_000, 437, TimeSpan.FromMinutes(2)));

        Assert.Equal("Cancelled at 43%", summary.Headline);
        Assert.Equal("Cancelled at 43% · started by ana@example.com", summary.Text);
    }

    [Fact]
    public void TagRun_NamesTheTag()
    {
        var summary = RunSummary.Of(Run(RunState.Completed, 10, 10, TimeSpan.FromSeconds(20), RunTrigger.Tag, "Refly: Personalize"));

        Assert.Equal("Completed · 10 of 10 · 20 s · by the tag “Refly: Personalize”", summary.Text);
        Assert.Equal("Tag “Refly: Personalize”", RunSummary.StarterName(Run(RunState.Cancelled, 10, 1, null, RunTrigger.Tag, "Refly: Personalize")));
    }

    [Fact]
    public void Failed_SeparatesTheStateFromWhoStartedIt()
    {
        var summary = RunSummary.Of(Run(RunState.Failed, null, 0, TimeSpan.FromMinutes(1)));

        Assert.Equal("Failed · started by ana@example.com", summary.Text);
    }

    [Theory]
    [InlineData(12, "12 s")]
    [InlineData(0.2, "1 s")]
    [InlineData(89, "1 min")]
    [InlineData(3_600, "1 h")]
    [InlineData(3_900, "1 h 5 min")]
    public void Duration_InWholeUnits(double seconds, string expected) =>
        Assert.Equal(expected, RunSummary.FormatDuration(TimeSpan.FromSeconds(seconds)));
}
