using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.Core.Triggers;

namespace Refly.Tests.Unit.Triggers;

public sealed class TagTriggerRulesTests
{
    private static readonly DateTimeOffset _now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private static readonly SendTimeCheckResult _allowed = new(SendTimeVerdict.Allowed, null);

    [Fact]
    public void Decide_TaggedScheduledFirstSeen_Starts()
    {
        var decision = Decide(tagged: true, Campaign(), state: null);

        Assert.Equal(TagTriggerAction.Start, decision.Action);
        Assert.Equal(TagTriggerCodes.Tagged, decision.Code);
    }

    [Theory]
    [InlineData(CampaignStatus.Draft)]
    [InlineData(CampaignStatus.Sending)]
    [InlineData(CampaignStatus.Sent)]
    [InlineData(CampaignStatus.Cancelled)]
    [InlineData(CampaignStatus.Unknown)]
    public void Decide_TaggedButNotScheduled_SkipsNotScheduled(CampaignStatus status)
    {
        var decision = Decide(tagged: true, Campaign(status), Armed());

        Assert.Equal(TagTriggerAction.Skip, decision.Action);
        Assert.Equal(TagTriggerCodes.NotScheduled, decision.Code);
        Assert.Contains(status.ToString(), decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Decide_CampaignUnknownLocally_SkipsNotFound()
    {
        Assert.Equal(TagTriggerCodes.CampaignNotFound, Decide(tagged: true, campaign: null, Armed()).Code);
    }

    [Fact]
    public void Decide_CampaignRemovedFromKlaviyo_SkipsNotFound()
    {
        var campaign = Campaign();
        campaign.RemovedFromKlaviyoAt = _now;

        Assert.Equal(TagTriggerCodes.CampaignNotFound, Decide(tagged: true, campaign, Armed()).Code);
    }

    [Fact]
    public void Decide_ActiveManualRun_SkipsRunActive()
    {
        var decision = Decide(tagged: true, Campaign(), Armed(), active: Run(RunState.InProgress, RunTrigger.Manual));

        Assert.Equal(TagTriggerCodes.RunActive, decision.Code);
        Assert.Contains("In Progress", decision.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SendTimeVerdict.WithinEditLockWindow)]
    [InlineData(SendTimeVerdict.SendTimePassed)]
    public void Decide_SendTimeLockedOrPassed_SkipsWithTheCheckReason(SendTimeVerdict verdict)
    {
        var decision = Decide(tagged: true, Campaign(), Armed(), sendTime: new SendTimeCheckResult(verdict, "the reason"));

        Assert.Equal(TagTriggerCodes.SendTime, decision.Code);
        Assert.Equal("the reason", decision.Reason);
    }

    [Fact]
    public void Decide_NoEmailMessage_Skips()
    {
        var campaign = Campaign();
        campaign.Messages.Clear();

        Assert.Equal(TagTriggerCodes.NoMessages, Decide(tagged: true, campaign, Armed()).Code);
    }

    [Fact]
    public void Decide_DisarmedAfterCancelledRun_StaysSkipped()
    {
        var decision = Decide(tagged: true, Campaign(), Disarmed(), answering: Run(RunState.Cancelled));

        Assert.Equal(TagTriggerAction.Skip, decision.Action);
        Assert.Equal(TagTriggerCodes.Cancelled, decision.Code);
    }

    [Fact]
    public void Decide_DisarmedAfterFailedRun_StaysSkipped()
    {
        Assert.Equal(TagTriggerCodes.Failed, Decide(tagged: true, Campaign(), Disarmed(), answering: Run(RunState.Failed)).Code);
    }

    [Fact]
    public void Decide_DisarmedAfterCompletedRunUnchanged_SkipsAlreadyPersonalized()
    {
        Assert.Equal(TagTriggerCodes.AlreadyPersonalized, Decide(tagged: true, Campaign(), Disarmed(), answering: Run(RunState.Completed)).Code);
    }

    [Fact]
    public void Decide_DisarmedAfterCompletedRunContentChanged_StartsAgain()
    {
        var decision = Decide(tagged: true, Campaign(), Disarmed(), answering: Run(RunState.Completed), changed: true);

        Assert.Equal(TagTriggerAction.Start, decision.Action);
        Assert.Equal(TagTriggerCodes.ContentChanged, decision.Code);
    }

    [Fact]
    public void Decide_ContentChangedButSendTimeLocked_Skips()
    {
        var decision = Decide(tagged: true, Campaign(), Disarmed(), answering: Run(RunState.Completed), changed: true,
            sendTime: new SendTimeCheckResult(SendTimeVerdict.WithinEditLockWindow, "locked"));

        Assert.Equal(TagTriggerCodes.SendTime, decision.Code);
    }

    [Fact]
    public void Decide_UntaggedAndDisarmed_Rearms()
    {
        Assert.Equal(TagTriggerAction.Rearm, Decide(tagged: false, Campaign(), Disarmed(), answering: Run(RunState.Cancelled)).Action);
    }

    [Fact]
    public void Decide_UntaggedUnderAnotherTagName_IsNoRemoval()
    {
        var decision = Decide(tagged: false, Campaign(), Disarmed(), answering: Run(RunState.Completed), tagNameChanged: true);

        Assert.Equal(TagTriggerAction.None, decision.Action);
    }

    [Fact]
    public void Decide_UntaggedAndArmedOrUnknown_DoesNothing()
    {
        Assert.Equal(TagTriggerAction.None, Decide(tagged: false, Campaign(), Armed()).Action);
        Assert.Equal(TagTriggerAction.None, Decide(tagged: false, Campaign(), state: null).Action);
    }

    [Fact]
    public void AnswersArmedTrigger_RunSinceArmedCoveringAllMessages_IsAdopted()
    {
        var campaign = Campaign(messages: 2);
        var run = Run(RunState.Queued, messageIds: ["m0", "m1"]);
        run.CreatedAt = _now.AddSeconds(1);

        Assert.True(TagTriggerRules.AnswersArmedTrigger(Armed(), campaign, run));
    }

    [Fact]
    public void AnswersArmedTrigger_RunBeforeArmedOrPartial_IsNotAdopted()
    {
        var campaign = Campaign(messages: 2);
        var earlier = Run(RunState.Completed, messageIds: ["m0", "m1"]);
        earlier.CreatedAt = _now.AddMinutes(-1);
        var partial = Run(RunState.Completed, messageIds: ["m0"]);
        partial.CreatedAt = _now.AddMinutes(1);

        Assert.False(TagTriggerRules.AnswersArmedTrigger(Armed(), campaign, earlier));
        Assert.False(TagTriggerRules.AnswersArmedTrigger(Armed(), campaign, partial));
        Assert.False(TagTriggerRules.AnswersArmedTrigger(Armed(), campaign, null));
    }

    [Fact]
    public void MessagesToPersonalize_AbCampaign_AllEmailMessages()
    {
        var campaign = Campaign(messages: 3);
        campaign.Messages.Add(new CampaignMessage { KlaviyoId = "sms", Channel = "sms" });

        Assert.Equal(["m0", "m1", "m2"], TagTriggerRules.MessagesToPersonalize(campaign));
    }

    private static TagTriggerDecision Decide(
        bool tagged,
        Campaign? campaign,
        TagTriggerState? state,
        PersonalizationRun? active = null,
        PersonalizationRun? answering = null,
        bool changed = false,
        SendTimeCheckResult? sendTime = null,
        bool tagNameChanged = false) =>
        TagTriggerRules.Decide(new TagTriggerFacts(tagged, campaign, state, active, answering, changed, sendTime ?? _allowed, tagNameChanged));

    private static Campaign Campaign(CampaignStatus status = CampaignStatus.Scheduled, int messages = 1) => new()
    {
        KlaviyoId = "c1",
        Name = "Campaign",
        RawStatus = status.ToString(),
        Status = status,
        SendTime = _now.AddDays(1),
        Messages = Enumerable.Range(0, messages).Select(i => new CampaignMessage { KlaviyoId = $"m{i}", Subject = $"Subject {i}" }).ToList(),
    };

    private static TagTriggerState Armed() => new() { CampaignKlaviyoId = "c1", Armed = true, ArmedAt = _now };

    private static TagTriggerState Disarmed() => new() { CampaignKlaviyoId = "c1", Armed = false, ArmedAt = _now };

    private static PersonalizationRun Run(RunState state, RunTrigger trigger = RunTrigger.Tag, List<string>? messageIds = null) => new()
    {
        Id = Guid.NewGuid(),
        CampaignKlaviyoId = "c1",
        State = state,
        Trigger = trigger,
        MessageIds = messageIds ?? ["m0"],
        CreatedAt = _now,
    };
}
