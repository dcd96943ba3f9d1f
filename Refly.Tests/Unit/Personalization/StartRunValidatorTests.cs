using Microsoft.Extensions.Time.Testing;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class StartRunValidatorTests
{
    private static readonly DateTimeOffset _now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly StartRunValidator _validator = new();
    private readonly SendTimeCheck _check = new(new FakeTimeProvider(_now));

    [Theory]
    [InlineData(-14 * 24 * 60)]
    [InlineData(-1)]
    [InlineData(5)]
    [InlineData(3 * 24 * 60)]
    public void Draft_WhateverItsPlannedDatetime_IsAccepted(int plannedInMinutes)
    {
        var result = _validator.Validate(Context(CampaignStatus.Draft, _now.AddMinutes(plannedInMinutes)));

        Assert.True(result.IsValid, string.Join(" ", result.Errors.Select(e => e.ErrorMessage)));
    }

    [Theory]
    [InlineData(-60, "has passed")]
    [InlineData(-1, "has passed")]
    [InlineData(15, "within 15 minutes")]
    [InlineData(5, "within 15 minutes")]
    public void Scheduled_SendTimePassedOrWithinFifteenMinutes_IsRefused(int sendInMinutes, string reason)
    {
        var result = _validator.Validate(Context(CampaignStatus.Scheduled, _now.AddMinutes(sendInMinutes)));

        var error = Assert.Single(result.Errors);
        Assert.Equal(StartRunErrors.SendTime, error.ErrorCode);
        Assert.Contains(reason, error.ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Scheduled_MoreThanFifteenMinutesAway_IsAccepted() =>
        Assert.True(_validator.Validate(Context(CampaignStatus.Scheduled, _now.AddMinutes(16))).IsValid);

    private StartRunContext Context(CampaignStatus status, DateTimeOffset? sendTime)
    {
        var campaign = new Campaign
        {
            KlaviyoId = "c1",
            Name = "C",
            RawStatus = status.ToString(),
            Status = status,
            SendTime = sendTime,
            Messages = [new CampaignMessage { KlaviyoId = "m1", Subject = "Hello" }],
        };
        return new StartRunContext(new StartRunRequest("c1", ["m1"], RunTrigger.Manual, "test"), campaign, null, _check.Check(status, sendTime));
    }
}
