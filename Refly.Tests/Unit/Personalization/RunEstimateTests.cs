using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class RunEstimateTests
{
    private static readonly DateTimeOffset _now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Estimate_NothingProcessed_UsesExpectedThroughput()
    {
        var e = RunEstimate.Compute(120_000, 0, TimeSpan.Zero, 1_200, _now, _now.AddHours(1));

        Assert.False(e.IsMeasured);
        Assert.Equal(1_200, e.ContactsPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(100), e.Remaining);
        Assert.Equal(_now.AddSeconds(100), e.EstimatedCompletion);
        Assert.Equal(_now.AddMinutes(45), e.Deadline);
        Assert.True(e.FinishesBeforeDeadline);
    }

    [Theory]
    [InlineData(0.9, 1, 1_058.4)]
    [InlineData(1.0, 1, 1_176)]
    [InlineData(0.5, 1, 588)]
    [InlineData(0.1, 1, 117.6)]
    [InlineData(0.9, 2, 2_116.8)]
    public void ExpectedThroughput_IsTheShareOfTheAudienceReadCeiling(double share, double scale, double contactsPerSecond) =>
        // 750 pages of 100 a minute = 1,250 contacts a second, times the share, the 2% pacing margin and 96% end to end.
        Assert.Equal(contactsPerSecond, RunEstimate.ExpectedContactsPerSecond(share, scale), 6);

    [Theory]
    [InlineData(0.9, null, 1_058.4)]
    [InlineData(0.5, null, 588)]
    [InlineData(0.5, 500.0, 500)]
    public void ExpectedThroughput_ConfiguredRateWins_ElseTheShareInUse(double share, double? configured, double expected)
    {
        using var provider = new ServiceCollection()
            .AddSingleton<ExpectedThroughput>()
            .Configure<KlaviyoOptions>(o => o.RateLimitShare = share)
            .Configure<PersonalizationOptions>(o => o.ExpectedContactsPerSecond = configured)
            .BuildServiceProvider();

        Assert.Equal(expected, provider.GetRequiredService<ExpectedThroughput>().ContactsPerSecond, 6);
    }

    [Fact]
    public void Estimate_SomethingProcessed_UsesMeasuredThroughput()
    {
        var e = RunEstimate.Compute(100_000, 10_000, TimeSpan.FromSeconds(100), 1_200, _now, null);

        Assert.True(e.IsMeasured);
        Assert.Equal(100, e.ContactsPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(900), e.Remaining);
        Assert.Null(e.Deadline);
        Assert.Null(e.FinishesBeforeDeadline);
    }

    [Fact]
    public void Estimate_FinishingInsideTheSafetyMargin_IsLate()
    {
        // 1,200,000 contacts at 1,200/s = 1,000 s (16m40s); send in 30 min, deadline in 15 min.
        var e = RunEstimate.Compute(1_200_000, 0, TimeSpan.Zero, 1_200, _now, _now.AddMinutes(30));

        Assert.False(e.FinishesBeforeDeadline);
        Assert.Equal(_now.AddMinutes(15), e.Deadline);
    }

    [Fact]
    public void Estimate_ExactlyAtTheDeadline_IsInTime()
    {
        var e = RunEstimate.Compute(1_080_000, 0, TimeSpan.Zero, 1_200, _now, _now.AddMinutes(30));

        Assert.Equal(TimeSpan.FromMinutes(15), e.Remaining);
        Assert.True(e.FinishesBeforeDeadline);
    }

    [Fact]
    public void Estimate_ProcessedBeyondTheEstimatedTotal_HasNothingLeft()
    {
        var e = RunEstimate.Compute(1_000, 1_500, TimeSpan.FromSeconds(10), 1_200, _now, _now.AddHours(1));

        Assert.Equal(TimeSpan.Zero, e.Remaining);
        Assert.Equal(_now, e.EstimatedCompletion);
    }

    [Theory]
    [InlineData(-1, 0, 1_200)]
    [InlineData(10, -1, 1_200)]
    [InlineData(10, 0, 0)]
    [InlineData(10, 0, double.NaN)]
    public void Estimate_InvalidArguments_AreRejected(long total, long processed, double expected) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RunEstimate.Compute(total, processed, TimeSpan.Zero, expected, _now, null));

    [Fact]
    public void SendTimeCheck_NoSendTime_IsAllowed()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var result = check.Check(null);

        Assert.Equal(SendTimeVerdict.NoSendTime, result.Verdict);
        Assert.True(result.IsAllowed);
        Assert.Null(result.Reason);
    }

    [Fact]
    public void SendTimeCheck_FarAway_IsAllowed()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        Assert.Equal(SendTimeVerdict.Allowed, check.Check(_now.AddMinutes(15).AddSeconds(1)).Verdict);
        Assert.True(check.IsEditable(_now.AddDays(1)));
    }

    [Fact]
    public void SendTimeCheck_WithinFifteenMinutes_IsRefused()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var exactly = check.Check(_now + SendTimeCheck.EditLockWindow);
        var soon = check.Check(_now.AddMinutes(1));

        Assert.Equal(SendTimeVerdict.WithinEditLockWindow, exactly.Verdict);
        Assert.Equal(SendTimeVerdict.WithinEditLockWindow, soon.Verdict);
        Assert.False(soon.IsAllowed);
        Assert.Contains("15 minutes", soon.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SendTimeCheck_Passed_IsRefused()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var result = check.Check(_now.AddSeconds(-1));

        Assert.Equal(SendTimeVerdict.SendTimePassed, result.Verdict);
        Assert.Contains("has passed", result.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SendTimeCheck_FollowsTheClock()
    {
        var time = new FakeTimeProvider(_now);
        var check = new SendTimeCheck(time);
        var send = _now.AddMinutes(20);
        Assert.True(check.IsEditable(send));

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.False(check.IsEditable(send));
    }

    [Theory]
    [InlineData(-30 * 24 * 60)]
    [InlineData(-1)]
    public void SendTimeCheck_DraftPlannedInThePast_IsAllowed_WithAWarningToSetANewSendTime(int plannedInMinutes)
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var result = check.Check(CampaignStatus.Draft, _now.AddMinutes(plannedInMinutes));

        Assert.Equal(SendTimeVerdict.PlannedNotScheduled, result.Verdict);
        Assert.True(result.IsAllowed);
        Assert.Null(result.Reason);
        Assert.Contains("has passed", result.Warning, StringComparison.Ordinal);
        Assert.Contains("set a new send time when you schedule", result.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void SendTimeCheck_DraftPlannedWithinFifteenMinutes_IsAllowed_WithAWarning()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var result = check.Check(CampaignStatus.Draft, _now.AddMinutes(5));

        Assert.True(result.IsAllowed);
        Assert.Equal(SendTimeVerdict.PlannedNotScheduled, result.Verdict);
        Assert.Contains("set a new send time when you schedule", result.Warning, StringComparison.Ordinal);
    }

    [Fact]
    public void SendTimeCheck_DraftPlannedAhead_IsAllowed_WithoutWarning()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var result = check.Check(CampaignStatus.Draft, _now.AddDays(3));

        Assert.Equal(SendTimeVerdict.PlannedNotScheduled, result.Verdict);
        Assert.True(result.IsAllowed);
        Assert.Null(result.Warning);
    }

    [Fact]
    public void SendTimeCheck_DraftWithoutDatetime_HasNoSendTime()
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        Assert.Equal(SendTimeVerdict.NoSendTime, check.Check(CampaignStatus.Draft, null).Verdict);
    }

    [Theory]
    [InlineData(-60, SendTimeVerdict.SendTimePassed)]
    [InlineData(10, SendTimeVerdict.WithinEditLockWindow)]
    [InlineData(16, SendTimeVerdict.Allowed)]
    public void SendTimeCheck_Scheduled_KeepsTheSendTimeRules(int sendInMinutes, SendTimeVerdict expected)
    {
        var check = new SendTimeCheck(new FakeTimeProvider(_now));

        var result = check.Check(CampaignStatus.Scheduled, _now.AddMinutes(sendInMinutes));

        Assert.Equal(expected, result.Verdict);
        Assert.Equal(expected == SendTimeVerdict.Allowed, result.IsAllowed);
        Assert.Null(result.Warning);
    }

    [Fact]
    public void DeadlineOf_Draft_IsNone_AndScheduled_IsItsSendTime()
    {
        Assert.Null(SendTimeCheck.DeadlineOf(CampaignStatus.Draft, _now.AddDays(-2)));
        Assert.Equal(_now.AddHours(2), SendTimeCheck.DeadlineOf(CampaignStatus.Scheduled, _now.AddHours(2)));
        Assert.Null(SendTimeCheck.DeadlineOf(CampaignStatus.Scheduled, null));
    }
}

public sealed class RunEstimateSmoothingTests
{
    private static readonly DateTimeOffset _now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void EarlyBurst_MovesTheEstimateLittle_AndIsNotSettled()
    {
        // 1,000 a second expected; a burst of 3,000 contacts in the first 2 s measures 1,500 a second.
        var raw = RunEstimate.Compute(120_000, 3_000, TimeSpan.FromSeconds(2), 1_000, _now, null);
        var smoothed = RunEstimate.ComputeSmoothed(120_000, 3_000, TimeSpan.FromSeconds(2), 1_000, _now, null);

        Assert.Equal(1_500, raw.ContactsPerSecond, 6);
        Assert.Equal(1_000 + (1_500 - 1_000) * 2 / 30.0, smoothed.ContactsPerSecond, 6);
        Assert.False(RunEstimate.IsSettled(3_000, TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void AfterTheSettleTime_TheMeasuredRateAlone()
    {
        var raw = RunEstimate.Compute(120_000, 30_000, TimeSpan.FromSeconds(40), 1_000, _now, _now.AddHours(1));
        var smoothed = RunEstimate.ComputeSmoothed(120_000, 30_000, TimeSpan.FromSeconds(40), 1_000, _now, _now.AddHours(1));

        Assert.Equal(raw, smoothed);
        Assert.True(RunEstimate.IsSettled(30_000, TimeSpan.FromSeconds(40)));
        Assert.False(RunEstimate.IsSettled(0, TimeSpan.FromSeconds(40)));
    }
}
