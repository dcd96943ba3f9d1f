using AngleSharp.Dom;
using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Pages.Campaigns;
using Refly.Dashboard.Components.Personalization;
using Refly.Dashboard.Hosting;
using Refly.KlaviyoSandbox.Store;
using Refly.Tests.Integration.Personalization;
using Refly.Tests.Integration.Preview;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>The email preview panel, the dialog's preview and run details, over real Core services and the sandbox.</summary>
public sealed class EmailPreviewPanelTests : MudTestContext
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(30);

    private async Task<CoreTestHost> StartAsync(bool startScheduler = false)
    {
        var host = await CoreTestHost.StartAsync(startScheduler: startScheduler);
        Services.AddLogging();
        Services.AddSingleton(host.Get<EmailPreviewService>());
        Services.AddSingleton(host.Get<PersonalizationPlanner>());
        Services.AddSingleton(host.Get<PersonalizationRunService>());
        Services.AddSingleton(host.Get<ApprovedCopyStore>());
        Services.AddSingleton(host.Get<SampleApproval>());
        Services.AddSingleton(host.Get<CampaignQueryService>());
        Services.AddSingleton(host.Get<RunQueryService>());
        Services.AddSingleton(host.Get<RunStore>());
        AddImpactServices(host);
        Services.AddSingleton(host.Get<IChangeNotifier>());
        Services.AddSingleton(TimeProvider.System);
        Services.AddScoped<BrowserTimeZone>();
        return host;
    }

    [Fact]
    public async Task Panel_PreviewSamples_ShowsOriginalAndPersonalizedSideBySide_BodiesInSandboxedIframes()
    {
        await using var host = await StartAsync();
        var campaign = await EmailPreviewServiceTests.SeedAsync(host);
        var panel = Render<EmailPreviewPanel>(p => p.Add(x => x.Campaign, campaign).Add(x => x.MessageIds, [campaign.Messages[0].KlaviyoId]));
        Assert.Empty(panel.FindAll("[data-testid='email-preview']"));

        await panel.InvokeAsync(() => panel.Find("[data-testid='preview-load']").Click());

        panel.WaitForAssertion(() => Assert.Equal(4, panel.FindAll("[data-testid='email-preview']").Count), _timeout);
        var first = panel.FindAll("[data-testid='email-preview']")[0];
        var original = first.QuerySelector("[data-testid='preview-original']")!;
        var personalized = first.QuerySelector("[data-testid='preview-personalized']")!;
        Assert.Equal(EmailPreviewServiceTests.Subject, Text(original, "preview-subject"));
        Assert.Equal("Be first", Text(original, "preview-text"));
        Assert.NotEqual(EmailPreviewServiceTests.Subject, Text(personalized, "preview-subject"));
        Assert.DoesNotContain("{{", Text(personalized, "preview-subject"), StringComparison.Ordinal);
        Assert.Equal("Rule-based copy", first.QuerySelector("[data-testid='preview-source']")!.TextContent.Trim());
        Assert.Contains("3 contacts like this", first.TextContent, StringComparison.Ordinal);
        foreach (var side in new[] { original, personalized })
        {
            var frame = side.QuerySelector("iframe[data-testid='preview-body']")!;
            Assert.Equal(string.Empty, frame.GetAttribute("sandbox"));
            Assert.Contains("<p>Original body</p>", frame.GetAttribute("srcdoc"), StringComparison.Ordinal);
            Assert.Contains("<p>Hi Avrilla,</p>", frame.GetAttribute("srcdoc"), StringComparison.Ordinal);
        }
        Assert.Contains("refly:personalized:begin", personalized.QuerySelector("iframe")!.GetAttribute("srcdoc"), StringComparison.Ordinal);
        Assert.DoesNotContain("refly:personalized:begin", original.QuerySelector("iframe")!.GetAttribute("srcdoc"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Panel_ContactByEmail_ShowsThatContact_AndAnUnknownEmailSaysSo()
    {
        await using var host = await StartAsync();
        var campaign = await EmailPreviewServiceTests.SeedAsync(host);
        var panel = Render<EmailPreviewPanel>(p => p.Add(x => x.Campaign, campaign).Add(x => x.MessageIds, [campaign.Messages[1].KlaviyoId]));

        await panel.InvokeAsync(() => EmailInput(panel).Input("nobody@example.com"));
        await panel.InvokeAsync(() => panel.Find("[data-testid='preview-load']").Click());
        panel.WaitForAssertion(() => Assert.Contains("No Klaviyo profile has the e-mail nobody@example.com", panel.Find("[data-testid='preview-error']").TextContent, StringComparison.Ordinal), _timeout);
        Assert.Empty(panel.FindAll("[data-testid='email-preview']"));

        await panel.InvokeAsync(() => EmailInput(panel).Input("nia@example.com"));
        await panel.InvokeAsync(() => panel.Find("[data-testid='preview-load']").Click());
        panel.WaitForAssertion(() => Assert.Single(panel.FindAll("[data-testid='email-preview']")), _timeout);
        Assert.Equal("nia@example.com", panel.Find("[data-testid='preview-contact']").TextContent.Trim());
        Assert.Equal("Say \"hi\" to 30% off", Text(panel.Find("[data-testid='preview-original']"), "preview-subject"));
        Assert.Empty(panel.FindAll("[data-testid='preview-error']"));
    }

    [Fact]
    public async Task Dialog_PreviewSection_RendersTheSelectedMessageAsTheEmail()
    {
        await using var host = await StartAsync();
        var campaign = await EmailPreviewServiceTests.SeedAsync(host);
        Render<MudPopoverProvider>();
        var provider = Render<MudDialogProvider>();
        var parameters = new DialogParameters<PersonalizeDialog> { { d => d.Campaign, campaign } };
        await provider.InvokeAsync(() => Services.GetRequiredService<IDialogService>().ShowAsync<PersonalizeDialog>("Personalize", parameters));
        provider.WaitForElement("[data-testid='estimated-recipients']", _timeout);
        // An A/B campaign: nothing selected, nothing to preview yet.
        Assert.NotNull(provider.Find("[data-testid='preview-no-message']"));

        await provider.InvokeAsync(() => provider.FindAll("input[type='checkbox'][data-testid='message-checkbox']")[1].Change(true));
        await provider.InvokeAsync(() => provider.Find("[data-testid='preview-load']").Click());

        provider.WaitForAssertion(() => Assert.Equal(4, provider.FindAll("[data-testid='email-preview']").Count), _timeout);
        Assert.All(provider.FindAll("[data-testid='email-preview']"), p => Assert.Contains("Variation B", p.TextContent, StringComparison.Ordinal));
        Assert.Equal("Say \"hi\" to 30% off", Text(provider.Find("[data-testid='preview-original']"), "preview-subject"));
    }

    [Fact]
    public async Task RunDetails_ShowsTheSwitchedSubjectAsWords_AndPreviewsTheRunsMessages()
    {
        await using var host = await StartAsync(startScheduler: true);
        var scenario = RunScenario.Create(host.Store);
        var message = scenario.Campaign.Messages[0];
        host.Store.UpdateMessage(message.Id, m => m.Subject = "You're in, \"friend\"");
        var run = await RunScenario.StartAsync(host, scenario.Campaign.Id, [message.Id]);
        await RunScenario.WaitForStateAsync(host, run.Id, RunState.Completed);
        await host.Get<CampaignSyncService>().SyncAsync(CancellationToken.None);

        var page = Render<RunDetailsPage>(p => p.Add(x => x.CampaignId, scenario.Campaign.Id).Add(x => x.RunId, run.Id));

        page.WaitForAssertion(() => Assert.Equal(
            "Personalized per contact; fallback: You're in, \"friend\"",
            page.Find("[data-testid='run-subject-in-klaviyo']").TextContent.Trim()), _timeout);
        Assert.DoesNotContain("lookup", page.Find("[data-testid='run-subject-in-klaviyo']").TextContent, StringComparison.Ordinal);
        await page.InvokeAsync(() => page.Find("[data-testid='run-email-preview'] [data-testid='preview-load']").Click());
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid='email-preview']")), _timeout);
        Assert.Equal("You're in, \"friend\"", Text(page.Find("[data-testid='preview-original']"), "preview-subject"));
        Assert.Contains("<p>Original body</p>", page.Find("[data-testid='preview-personalized'] iframe").GetAttribute("srcdoc"), StringComparison.Ordinal);
    }

    private static IElement EmailInput(IRenderedComponent<EmailPreviewPanel> panel)
    {
        var element = panel.Find("[data-testid='preview-email']");
        return element.TagName == "INPUT" ? element : element.QuerySelector("input") ?? throw new InvalidOperationException("the e-mail field has no input");
    }

    private static string Text(IElement side, string testId) =>
        side.QuerySelector($"[data-testid='{testId}']")!.TextContent;
}
