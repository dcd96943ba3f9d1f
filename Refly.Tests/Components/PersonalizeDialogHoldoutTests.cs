using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Personalization;
using Refly.Dashboard.Hosting;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>One Scheduled campaign of 20,000 recipients over real Core services; the scheduler is off, so a run stays Queued.</summary>
public sealed class PersonalizeDialogHoldoutFixture : IAsyncLifetime
{
    public CoreTestHost Host { get; private set; } = null!;

    public string CampaignId { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Host = await CoreTestHost.StartAsync(startScheduler: false);
        var list = Host.Store.AddList("Twenty thousand", 20_000);
        CampaignId = Host.Store.AddCampaign("Holdout", CampaignStatuses.Scheduled, DateTimeOffset.UtcNow.AddDays(1),
            [new MessageSeed("Email", "Subject", "Preview", "<html><body><p>Hi</p></body></html>")], [list.Id]).Id;
        await Host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);
    }

    public async Task<Campaign> CampaignAsync() =>
        await Host.Get<CampaignQueryService>().FindAsync(CampaignId, CancellationToken.None) ?? throw new InvalidOperationException("not synced");

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class PersonalizeDialogHoldoutTests : MudTestContext, IClassFixture<PersonalizeDialogHoldoutFixture>
{
    private readonly PersonalizeDialogHoldoutFixture _fixture;
    private readonly IRenderedComponent<MudDialogProvider> _provider;

    public PersonalizeDialogHoldoutTests(PersonalizeDialogHoldoutFixture fixture)
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

    private IElement PercentInput => _provider.FindAll("[data-testid='holdout'] input").First(i => i.GetAttribute("type") != "range");

    private string Hint => _provider.Find("[data-testid='holdout-hint']").TextContent;

    [Fact]
    public async Task Holdout_StartsAtTheDefault_HintSaysWhatItDetects_AndFollowsTheChosenShare()
    {
        await OpenAsync();

        Assert.Equal("10", PercentInput.GetAttribute("value"));
        Assert.Contains(HoldoutHint.For(20_000, 0.10), Hint, StringComparison.Ordinal);
        Assert.Contains("With 20,000 recipients and 10% held out, an open-rate change of about 3 points can be detected.", Hint, StringComparison.Ordinal);

        await _provider.InvokeAsync(() => PercentInput.Change("40"));

        _provider.WaitForAssertion(() => Assert.Contains(HoldoutHint.For(20_000, 0.40), Hint, StringComparison.Ordinal));
        Assert.Contains("40% held out", Hint, StringComparison.Ordinal);

        await _provider.InvokeAsync(() => PercentInput.Change("0"));

        _provider.WaitForAssertion(() => Assert.Contains("No holdout", Hint, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Confirm_StartsTheRunWithTheChosenShare_AndNeverMoreThanHalf()
    {
        var reference = await OpenAsync();
        await _provider.InvokeAsync(() => PercentInput.Change("80"));
        _provider.WaitForAssertion(() => Assert.Contains("50% held out", Hint, StringComparison.Ordinal));
        await _provider.InvokeAsync(() => PercentInput.Change("25"));
        _provider.WaitForAssertion(() => Assert.Contains("25% held out", Hint, StringComparison.Ordinal));
        await _provider.InvokeAsync(() => _provider.Find("[data-testid='approve-samples'] input[type='checkbox']").Change(true));
        _provider.WaitForAssertion(() => Assert.False(_provider.Find("[data-testid='confirm-personalize']").HasAttribute("disabled")));

        await _provider.InvokeAsync(() => _provider.Find("[data-testid='confirm-personalize']").Click());

        var result = await reference.Result;
        Assert.False(result!.Canceled);
        var run = await _fixture.Host.Get<RunStore>().GetAsync((Guid)result.Data!, CancellationToken.None);
        Assert.Equal(0.25, run!.HoldoutShare, 10);
    }

    private async Task<IDialogReference> OpenAsync()
    {
        var campaign = await _fixture.CampaignAsync();
        var dialogs = Services.GetRequiredService<IDialogService>();
        var parameters = new DialogParameters<PersonalizeDialog> { { d => d.Campaign, campaign } };
        var reference = await _provider.InvokeAsync(() => dialogs.ShowAsync<PersonalizeDialog>("Personalize", parameters));
        _provider.WaitForElement("[data-testid='holdout-hint']", TimeSpan.FromSeconds(15));
        return reference;
    }
}
