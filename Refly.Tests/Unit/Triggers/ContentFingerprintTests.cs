using Refly.Core.Campaigns;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Triggers;

public sealed class ContentFingerprintTests
{
    private static readonly DateTimeOffset _send = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Fingerprint_CampaignAsSnapshotted_EqualsTheRun()
    {
        var (run, campaign) = Completed();

        Assert.False(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void Fingerprint_OwnSwitchedSubjectPreviewAndTemplate_IsNotAChange()
    {
        var (run, campaign) = Completed();
        var key = PersonalizedMarkup.MessageKey("m1");
        var message = campaign.Messages[0];
        message.Subject = PersonalizedMarkup.SubjectExpression(key, "Hello");
        message.PreviewText = PersonalizedMarkup.PreviewExpression(key, "Preview");
        message.TemplateId = "clone-assigned-by-klaviyo";

        Assert.False(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void Fingerprint_MarketerEditedSubject_IsStale()
    {
        var (run, campaign) = Completed();
        campaign.Messages[0].Subject = "Hello again";

        Assert.True(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void Fingerprint_SendTimeMoved_IsStale()
    {
        var (run, campaign) = Completed();
        campaign.SendTime = _send.AddHours(2);

        Assert.True(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void Fingerprint_MessageRemoved_IsStale()
    {
        var (run, campaign) = Completed();
        campaign.Messages.Clear();

        Assert.True(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void IsStale_CampaignAlreadySent_IsNotStale()
    {
        var (run, campaign) = Completed();
        campaign.SendTime = _send.AddHours(2);
        campaign.Status = CampaignStatus.Sent;

        Assert.False(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void IsStale_DraftRunThenPlannedDatetimeMoved_IsNotStale()
    {
        var (run, campaign) = CompletedDraft();
        campaign.SendTime = _send.AddDays(-3);

        Assert.False(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void IsStale_DraftRunThenScheduled_IsNotStale()
    {
        // The run on the Draft had no deadline, so it covered everyone: scheduling the campaign changes nothing.
        var (run, campaign) = CompletedDraft();
        campaign.Status = CampaignStatus.Scheduled;
        campaign.SendTime = _send.AddDays(1);

        Assert.False(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void IsStale_DraftRunThenSubjectEdited_IsStale()
    {
        var (run, campaign) = CompletedDraft();
        campaign.Messages[0].Subject = "Hello again";

        Assert.True(RunQueryService.IsStale(run, campaign));
    }

    [Fact]
    public void IsStale_ScheduledRunThenCampaignBackToDraft_IsNotStale()
    {
        var (run, campaign) = Completed();
        campaign.Status = CampaignStatus.Draft;

        Assert.False(RunQueryService.IsStale(run, campaign));
    }

    /// <summary>A run started on a Draft planned at <see cref="_send"/>: as the run service records it, with no deadline.</summary>
    private static (PersonalizationRun Run, Campaign Campaign) CompletedDraft()
    {
        var (run, campaign) = Completed();
        campaign.Status = CampaignStatus.Draft;
        campaign.RawStatus = "Draft";
        run.SendTime = SendTimeCheck.DeadlineOf(campaign.Status, campaign.SendTime);
        Assert.Null(run.SendTime);
        return (run, campaign);
    }

    private static (PersonalizationRun Run, Campaign Campaign) Completed()
    {
        var run = new PersonalizationRun
        {
            CampaignKlaviyoId = "c1",
            State = RunState.Completed,
            MessageIds = ["m1"],
            SendTime = _send,
            Originals = [new MessageSnapshot { MessageId = "m1", Subject = "Hello", PreviewText = "Preview", TemplateId = "t1", PersonalizedTemplateId = "t2" }],
        };
        var campaign = new Campaign
        {
            KlaviyoId = "c1",
            Name = "C",
            RawStatus = "Scheduled",
            Status = CampaignStatus.Scheduled,
            SendTime = _send,
            Messages = [new CampaignMessage { KlaviyoId = "m1", Subject = "Hello", PreviewText = "Preview", TemplateId = "t1" }],
        };
        return (run, campaign);
    }
}
