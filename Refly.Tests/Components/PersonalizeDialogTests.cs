using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Personalization;
using Refly.Dashboard.Hosting;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>
/// The Personalize modal over real Core services (SQLite, planner, run service) and the typed Klaviyo client talking
/// to a sandbox this fixture seeds. The scheduler is not started, so a confirmed run stays Queued.
/// </summary>
public sealed class PersonalizeDialogFixture : IAsyncLifetime
{
    public CoreTestHost Host { get; private set; } = null!;

    public string SingleId { get; private set; } = "";
    public string AbId { get; private set; } = "";
    public string TightId { get; private set; } = "";
    public string LockedId { get; private set; } = "";
    public string BusyId { get; private set; } = "";
    public string DraftPlannedPastId { get; private set; } = "";
    public string DraftPlannedAheadId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = await CoreTestHost.StartAsync(startScheduler: false);
        var store = Host.Store;
        var now = DateTimeOffset.UtcNow;
        var small = store.AddList("Small", 40);
        var huge = store.AddList("Huge", 2_000_000);
        MessageSeed Message(string label) => new(label, $"{label} subject", $"{label} preview", "<html><body><p>Hi</p></body></html>");

        SingleId = store.AddCampaign("Single", CampaignStatuses.Scheduled, now.AddDays(1), [Message("Email")], [small.Id]).Id;
        AbId = store.AddCampaign("A/B", CampaignStatuses.Scheduled, now.AddDays(1), [Message("Variation A"), Message("Variation B")], [small.Id]).Id;
        // 2,000,000 contacts at the default share (about 1,060/s) take ~31 minutes; the edit lock comes 15 minutes from now.
        TightId = store.AddCampaign("Tight", CampaignStatuses.Scheduled, now.AddMinutes(30), [Message("Email")], [huge.Id]).Id;
        LockedId = store.AddCampaign("Locked", CampaignStatuses.Scheduled, now.AddMinutes(5), [Message("Email")], [small.Id]).Id;
        BusyId = store.AddCampaign("Busy", CampaignStatuses.Draft, now.AddDays(2), [Message("Email")], [small.Id]).Id;
        // Drafts keep their static strategy's planned datetime; neither is a deadline.
        DraftPlannedPastId = store.AddCampaign("Planned last month", CampaignStatuses.Draft, now.AddDays(-30), [Message("Email")], [small.Id], createdAt: now.AddDays(-31)).Id;
        DraftPlannedAheadId = store.AddCampaign("Planned next week", CampaignStatuses.Draft, now.AddDays(7), [Message("Email")], [small.Id]).Id;
        await Host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
    }

    public async Task<Campaign> CampaignAsync(string id) =>
        await Host.Get<CampaignQueryService>().FindAsync(id, CancellationToken.None) ?? throw new InvalidOperationException($"{id} not synced");

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class PersonalizeDialogTests : MudTestContext, IClassFixture<PersonalizeDialogFixture>
{
    private readonly PersonalizeDialogFixture _fixture;
    private readonly IRenderedComponent<MudDialogProvider> _provider;

    public PersonalizeDialogTests(PersonalizeDialogFixture fixture)
    {
        _fixture = fixture;
        Services.AddLogging();
        Services.AddSingleton(fixture.Host.Get<PersonalizationPlanner>());
        Services.AddSingleton(fixture.Host.Get<PersonalizationRunService>());
        Services.AddSingleton(fixture.Host.Get<ApprovedCopyStore>());
        Services.AddSingleton(fixture.Host.Get<SampleApproval>());
        Services.AddSingleton(fixture.Host.Get<EmailPreviewService>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        Render<MudPopoverProvider>();
        _provider = Render<MudDialogProvider>();
    }

    private async Task<IDialogReference> OpenAsync(string campaignId)
    {
        var campaign = await _fixture.CampaignAsync(campaignId);
        var dialogs = Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<PersonalizeDialog> { { d => d.Campaign, campaign } };
        var reference = await _provider.InvokeAsync(() => dialogs.ShowAsync<PersonalizeDialog>("Personalize", parameters));
        // The estimate comes from the sandbox; wait until it is shown.
        _provider.WaitForElement("[data-testid='estimated-recipients']", TimeSpan.FromSeconds(15));
        return reference;
    }

    private IReadOnlyList<IElement> Checkboxes => _provider.FindAll("[data-testid='personalize-dialog'] input[type='checkbox'][data-testid='message-checkbox']");

    private Task ApproveAsync() => _provider.InvokeAsync(() => _provider.Find("[data-testid='approve-samples'] input[type='checkbox']").Change(true));

    private IElement ConfirmButton => _provider.Find("[data-testid='confirm-personalize']");

    [Fact]
    public async Task SingleMessageCampaign_IsPreSelected_ShowsFiveGroupSamples_AndConfirmWaitsForTheApproval()
    {
        await OpenAsync(_fixture.SingleId);

        var box = Assert.Single(Checkboxes);
        Assert.True(box.IsChecked());
        Assert.Equal("40", _provider.Find("[data-testid='estimated-recipients']").TextContent.Trim());
        Assert.Equal(PersonalizationPlanner.SampleGroups, _provider.FindAll("[data-testid='sample']").Count);
        Assert.True(ConfirmButton.HasAttribute("disabled"));
        Assert.Equal("Approve the samples first", _provider.Find("[data-testid='confirm-hint']").TextContent.Trim());

        await ApproveAsync();

        _provider.WaitForAssertion(() => Assert.False(ConfirmButton.HasAttribute("disabled")));
        Assert.Empty(_provider.FindAll("[data-testid='confirm-hint']"));
    }

    [Fact]
    public async Task AbCampaign_NothingPreSelected_ConfirmNeedsAtLeastOneMessage()
    {
        await OpenAsync(_fixture.AbId);

        Assert.Equal(2, Checkboxes.Count);
        Assert.All(Checkboxes, box => Assert.False(box.IsChecked()));
        Assert.Contains("Nothing is pre-selected", _provider.Find("[data-testid='ab-copy']").TextContent, StringComparison.Ordinal);
        Assert.Equal("Keep one variation unselected as the control to measure the lift.", _provider.Find("[data-testid='control-hint']").TextContent.Trim());
        Assert.True(ConfirmButton.HasAttribute("disabled"));

        await _provider.InvokeAsync(() => Checkboxes[1].Change(true));
        await ApproveAsync();

        _provider.WaitForAssertion(() => Assert.False(ConfirmButton.HasAttribute("disabled")));
        Assert.True(Checkboxes[1].IsChecked());
        Assert.False(Checkboxes[0].IsChecked());
    }

    [Fact]
    public async Task SendTimeTooCloseForTheAudience_ShowsTheWarning_ButAllowsConfirm()
    {
        await OpenAsync(_fixture.TightId);

        var warning = _provider.Find("[data-testid='send-time-warning']");
        Assert.Contains("may not finish", warning.TextContent, StringComparison.Ordinal);
        Assert.Empty(_provider.FindAll("[data-testid='send-time-refusal']"));
        await ApproveAsync();
        Assert.False(ConfirmButton.HasAttribute("disabled"));
    }

    [Fact]
    public async Task SendTimeWithinTheEditLock_IsRefused_AndConfirmDisabled()
    {
        await OpenAsync(_fixture.LockedId);

        Assert.NotEmpty(_provider.Find("[data-testid='send-time-refusal']").TextContent.Trim());
        Assert.True(ConfirmButton.HasAttribute("disabled"));
    }

    [Fact]
    public async Task ScheduledCampaign_ShowsMustFinishBy()
    {
        await OpenAsync(_fixture.SingleId);

        Assert.Contains("15 minutes before the send time", _provider.Find("[data-testid='must-finish-by']").TextContent, StringComparison.Ordinal);
        Assert.Empty(_provider.FindAll("[data-testid='planned-send-time']"));
        Assert.Empty(_provider.FindAll("[data-testid='send-time-planned']"));
    }

    [Fact]
    public async Task DraftPlannedInThePast_ShowsPlannedNotScheduled_WarnsToSetANewSendTime_AndStarts()
    {
        var reference = await OpenAsync(_fixture.DraftPlannedPastId);

        Assert.Contains("Planned, not scheduled", _provider.Find("[data-testid='send-time-planned']").TextContent, StringComparison.Ordinal);
        Assert.Contains("Planned, not scheduled", _provider.Find("[data-testid='planned-send-time']").TextContent, StringComparison.Ordinal);
        Assert.Empty(_provider.FindAll("[data-testid='must-finish-by']"));
        Assert.DoesNotContain("Must finish by", _provider.Find("[data-testid='personalize-dialog']").TextContent, StringComparison.Ordinal);
        Assert.Empty(_provider.FindAll("[data-testid='send-time-refusal']"));
        var warning = _provider.Find("[data-testid='planned-send-time-warning']").TextContent;
        Assert.Contains("has passed", warning, StringComparison.Ordinal);
        Assert.Contains("set a new send time when you schedule", warning, StringComparison.Ordinal);
        await ApproveAsync();
        Assert.False(ConfirmButton.HasAttribute("disabled"));

        await _provider.InvokeAsync(() => ConfirmButton.Click());

        var result = await reference.Result;
        Assert.False(result!.Canceled);
        var run = await _fixture.Host.Get<RunStore>().GetAsync((Guid)result.Data!, CancellationToken.None);
        Assert.Equal(RunState.Queued, run!.State);
        Assert.Null(run.SendTime);
    }

    [Fact]
    public async Task DraftPlannedAhead_ShowsPlannedNotScheduled_WithoutWarning()
    {
        await OpenAsync(_fixture.DraftPlannedAheadId);

        Assert.Contains("Planned, not scheduled", _provider.Find("[data-testid='planned-send-time']").TextContent, StringComparison.Ordinal);
        Assert.Empty(_provider.FindAll("[data-testid='must-finish-by']"));
        Assert.Empty(_provider.FindAll("[data-testid='planned-send-time-warning']"));
        Assert.Empty(_provider.FindAll("[data-testid='send-time-planned-warning']"));
        await ApproveAsync();
        Assert.False(ConfirmButton.HasAttribute("disabled"));
    }

    [Fact]
    public async Task Cancel_ClosesWithoutStartingARun()
    {
        var reference = await OpenAsync(_fixture.SingleId);

        await _provider.InvokeAsync(() => _provider.Find("button[aria-label='Close without starting']").Click());

        var result = await reference.Result;
        Assert.True(result!.Canceled);
        var runs = await _fixture.Host.Get<RunQueryService>().LatestByCampaignAsync([_fixture.SingleId], CancellationToken.None);
        Assert.Empty(runs);
    }

    [Fact]
    public async Task Confirm_WhenCoreRefuses_ShowsTheReasonInline()
    {
        // Someone else (the tag trigger, the API, another browser) started a run since the table was rendered.
        var started = await _fixture.Host.Get<PersonalizationRunService>().StartAsync(
            new StartRunRequest(_fixture.BusyId, [(await _fixture.CampaignAsync(_fixture.BusyId)).Messages[0].KlaviyoId], RunTrigger.Manual, "someone else"),
            CancellationToken.None);
        Assert.True(started.Succeeded, started.ErrorMessage);
        await OpenAsync(_fixture.BusyId);
        await ApproveAsync();

        await _provider.InvokeAsync(() => ConfirmButton.Click());

        var errors = _provider.WaitForElement("[data-testid='start-errors']");
        Assert.Contains("already", errors.TextContent, StringComparison.Ordinal);
        Assert.Single(_provider.FindAll("[data-testid='personalize-dialog']"));
    }

    [Fact]
    public async Task EditedSample_ErrorsBesideTheField_ThenTheEditIsWhatConfirmSavesForItsGroup()
    {
        var reference = await OpenAsync(_fixture.DraftPlannedAheadId);
        var campaign = await _fixture.CampaignAsync(_fixture.DraftPlannedAheadId);
        await ApproveAsync();
        await _provider.InvokeAsync(() => _provider.FindAll("[data-testid='sample-edit']")[0].Click());

        await _provider.InvokeAsync(() => _provider.Find("[data-testid='edit-subject'] input").Change("Hello {{ person.first_name }}"));
        await _provider.InvokeAsync(() => _provider.Find("[data-testid='edit-save']").Click());
        Assert.Contains("template tags are not allowed", _provider.Find("[data-testid='edit-subject']").TextContent, StringComparison.Ordinal);

        await _provider.InvokeAsync(() => _provider.Find("[data-testid='edit-subject'] input").Change("{first_name}, picked by our team"));
        await _provider.InvokeAsync(() => _provider.Find("[data-testid='edit-save']").Click());

        _provider.WaitForElement("[data-testid='sample-edited']");
        Assert.Contains("picked by our team", _provider.FindAll("[data-testid='sample-subject']")[0].TextContent, StringComparison.Ordinal);
        // The edit withdrew the approval: nothing starts until the marketer approves again.
        Assert.True(ConfirmButton.HasAttribute("disabled"));
        await ApproveAsync();
        await _provider.InvokeAsync(() => ConfirmButton.Click());

        var result = await reference.Result;
        Assert.False(result!.Canceled);
        var run = await _fixture.Host.Get<RunStore>().GetAsync((Guid)result.Data!, CancellationToken.None);
        var copy = Assert.Single(await _fixture.Host.Get<ApprovedCopyStore>().GetForRunAsync(run!, CancellationToken.None));
        Assert.Equal("{first_name}, picked by our team", copy.Subject);
        Assert.Equal(ApprovedCopyOrigin.Marketer, copy.Origin);
        Assert.Equal(campaign.Messages[0].KlaviyoId, copy.MessageId);
    }

    [Fact]
    public async Task RegeneratedSample_IsMarkedAsANewVersion_AndWithdrawsTheApproval()
    {
        await OpenAsync(_fixture.SingleId);
        await ApproveAsync();
        _provider.WaitForAssertion(() => Assert.False(ConfirmButton.HasAttribute("disabled")));

        await _provider.InvokeAsync(() => _provider.FindAll("[data-testid='sample-regenerate']")[0].Click());

        _provider.WaitForElement("[data-testid='sample-regenerated']");
        Assert.Single(_provider.FindAll("[data-testid='sample-regenerated']"));
        Assert.True(ConfirmButton.HasAttribute("disabled"));
        Assert.Equal("Approve the samples first", _provider.Find("[data-testid='confirm-hint']").TextContent.Trim());
    }

    [Fact]
    public async Task BriefEditedInTheModal_MarksTheSamplesStale_UntilTheyAreWrittenAgainWithIt_ThenApproved()
    {
        await OpenAsync(_fixture.SingleId);
        await ApproveAsync();
        _provider.WaitForAssertion(() => Assert.False(ConfirmButton.HasAttribute("disabled")));
        var groupsBefore = _provider.FindAll("[data-testid='sample-facts']").Select(e => e.TextContent.Trim()).ToList();

        // Every fact but the loyalty tier is no longer allowed: the groups and their copy change.
        foreach (var fact in Enum.GetValues<BriefFact>().Where(f => f != BriefFact.LoyaltyTier))
        {
            var box = _provider.FindAll($"input[data-testid='brief-fact-{fact}']").SingleOrDefault();
            if (box is not null && box.IsChecked())
            {
                await _provider.InvokeAsync(() => box.Change(false));
            }
        }

        _provider.WaitForElement("[data-testid='samples-stale']");
        Assert.True(ConfirmButton.HasAttribute("disabled"));
        Assert.Equal("Write the samples again with this brief, then approve them", _provider.Find("[data-testid='confirm-hint']").TextContent.Trim());

        await _provider.InvokeAsync(() => _provider.Find("[data-testid='samples-rewrite']").Click());

        _provider.WaitForAssertion(() => Assert.Empty(_provider.FindAll("[data-testid='samples-stale']")), TimeSpan.FromSeconds(15));
        var groupsAfter = _provider.FindAll("[data-testid='sample-facts']").Select(e => e.TextContent.Trim()).ToList();
        Assert.NotEqual(groupsBefore, groupsAfter);
        Assert.All(groupsAfter, g => Assert.DoesNotContain("·", g, StringComparison.Ordinal));
        Assert.True(ConfirmButton.HasAttribute("disabled"));
        await ApproveAsync();
        _provider.WaitForAssertion(() => Assert.False(ConfirmButton.HasAttribute("disabled")));
    }
}
