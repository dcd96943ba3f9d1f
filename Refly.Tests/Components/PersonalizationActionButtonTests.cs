using Bunit;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Personalization;

namespace Refly.Tests.Components;

/// <summary>The row's action icon: sparkle (enabled or disabled with a reason), cancel, or a loading indicator.</summary>
public sealed class PersonalizationActionButtonTests : MudTestContext
{
    [Theory]
    [InlineData(CampaignStatus.Draft)]
    [InlineData(CampaignStatus.Scheduled)]
    public void Sparkle_DraftOrScheduledWithoutRun_IsEnabledAndStartsPersonalize(CampaignStatus status)
    {
        var personalizeClicks = 0;
        var cut = Render<PersonalizationActionButton>(ps => ps
            .Add(p => p.Campaign, CampaignIn(status))
            .Add(p => p.OnPersonalize, () => personalizeClicks++));

        var button = cut.Find("button[aria-label='Personalize']");
        Assert.False(button.HasAttribute("disabled"));
        button.Click();

        Assert.Equal(1, personalizeClicks);
        Assert.Empty(cut.FindAll("[aria-label='Cancel personalization']"));
    }

    [Theory]
    [InlineData(CampaignStatus.Sending, "already sending")]
    [InlineData(CampaignStatus.Sent, "has been sent")]
    [InlineData(CampaignStatus.Cancelled, "was cancelled")]
    [InlineData(CampaignStatus.Unknown, "does not know")]
    public void Sparkle_NotDraftOrScheduled_IsDisabledAndSaysWhy(CampaignStatus status, string reason)
    {
        var cut = Render<PersonalizationActionButton>(ps => ps.Add(p => p.Campaign, CampaignIn(status)));

        var button = cut.Find("button[aria-label='Personalize']");
        Assert.True(button.HasAttribute("disabled"));
        var why = cut.Find("[data-testid='personalize-disabled-reason']");
        Assert.Contains(reason, why.GetAttribute("title"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RunState.Completed)]
    [InlineData(RunState.Failed)]
    [InlineData(RunState.Cancelled)]
    public void Sparkle_AfterAFinishedRun_IsEnabledAgain(RunState state)
    {
        var cut = Render<PersonalizationActionButton>(ps => ps
            .Add(p => p.Campaign, CampaignIn(CampaignStatus.Scheduled))
            .Add(p => p.Run, RunIn(state)));

        Assert.False(cut.Find("button[aria-label='Personalize']").HasAttribute("disabled"));
    }

    [Theory]
    [InlineData(RunState.Queued)]
    [InlineData(RunState.InProgress)]
    public void ActiveRun_ShowsCancelIcon_WhichRaisesOnCancel(RunState state)
    {
        var cancelClicks = 0;
        var cut = Render<PersonalizationActionButton>(ps => ps
            .Add(p => p.Campaign, CampaignIn(CampaignStatus.Scheduled))
            .Add(p => p.Run, RunIn(state))
            .Add(p => p.OnCancel, () => cancelClicks++));

        Assert.Empty(cut.FindAll("[aria-label='Personalize']"));
        cut.Find("button[aria-label='Cancel personalization']").Click();

        Assert.Equal(1, cancelClicks);
    }

    [Fact]
    public void Cancelling_ShowsALoadingIndicator_AndNoButton()
    {
        var cut = Render<PersonalizationActionButton>(ps => ps
            .Add(p => p.Campaign, CampaignIn(CampaignStatus.Scheduled))
            .Add(p => p.Run, RunIn(RunState.Cancelling)));

        var indicator = cut.Find("[data-testid='cancelling-indicator']");
        Assert.Equal("Cancelling", indicator.GetAttribute("aria-label"));
        Assert.NotNull(indicator.QuerySelector(".mud-progress-circular"));
        Assert.Empty(cut.FindAll("button"));
    }

    [Fact]
    public void RunStateChange_SwapsTheIcon()
    {
        var campaign = CampaignIn(CampaignStatus.Scheduled);
        var cut = Render<PersonalizationActionButton>(ps => ps.Add(p => p.Campaign, campaign).Add(p => p.Run, RunIn(RunState.InProgress)));
        Assert.Single(cut.FindAll("[aria-label='Cancel personalization']"));

        cut.Render(ps => ps.Add(p => p.Campaign, campaign).Add(p => p.Run, RunIn(RunState.Cancelling)));
        Assert.Single(cut.FindAll("[data-testid='cancelling-indicator']"));

        cut.Render(ps => ps.Add(p => p.Campaign, campaign).Add(p => p.Run, RunIn(RunState.Cancelled)));
        Assert.False(cut.Find("button[aria-label='Personalize']").HasAttribute("disabled"));
    }
}
