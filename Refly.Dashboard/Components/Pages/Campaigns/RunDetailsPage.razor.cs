using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Shared;
using Refly.Dashboard.Hosting;

namespace Refly.Dashboard.Components.Pages.Campaigns;

public sealed partial class RunDetailsPage : IDisposable
{
    private List<BreadcrumbItem> _breadcrumbs = [];
    private bool _loading = true;
    private Campaign? _campaign;
    private RunView? _run;
    private IReadOnlyList<RunEvent> _events = [];
    private IReadOnlyList<MessageSnapshot> _originals = [];
    private IReadOnlyList<SamplePreview>? _samples;
    private string? _samplesError;
    private bool _samplesRequested;
    private Guid _loadedRunId;
    private bool _retrying;
    private IReadOnlyList<string> _retryErrors = [];
    private readonly CancellationTokenSource _disposed = new();
    private LiveReload? _live;

    [Parameter]
    public required string CampaignId { get; set; }

    [Parameter]
    public Guid RunId { get; set; }

    [Inject]
    public required CampaignQueryService Campaigns { get; init; }

    [Inject]
    public required RunQueryService Runs { get; init; }

    [Inject]
    public required RunStore RunStore { get; init; }

    [Inject]
    public required PersonalizationRunService RunService { get; init; }

    [Inject]
    public required PersonalizationPlanner Planner { get; init; }

    [Inject]
    public required IChangeNotifier Notifier { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required BrowserTimeZone BrowserTime { get; init; }

    [Inject]
    public required TimeProvider Time { get; init; }

    [Inject]
    public required NavigationManager Navigation { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState>? AuthenticationState { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        _live ??= new LiveReload(
            Notifier,
            change => change is RunChanged c && c.RunId == RunId || change is CampaignsChanged,
            InvokeAsync,
            async () =>
            {
                await LoadAsync();
                StateHasChanged();
            },
            DispatchExceptionAsync);
        if (_loadedRunId != RunId)
        {
            // Another run on the same page instance (e.g. after Retry): its own samples and messages.
            _loadedRunId = RunId;
            _samples = null;
            _samplesError = null;
            _samplesRequested = false;
            _retryErrors = [];
        }
        await LoadAsync();
        _loading = false;
    }

    private async Task LoadAsync()
    {
        _campaign = await Campaigns.FindAsync(CampaignId, CancellationToken.None);
        _run = await Runs.GetAsync(RunId, CancellationToken.None);
        if (_run is not null && _run.CampaignId != CampaignId)
        {
            _run = null;
        }
        _events = _run is null ? [] : await Runs.EventsAsync(RunId, CancellationToken.None);
        _originals = (await RunStore.GetAsync(RunId, CancellationToken.None))?.Originals ?? [];
        _breadcrumbs =
        [
            new("Marketing", href: null, disabled: true),
            new("Campaigns", href: "marketing/campaigns"),
            new(_campaign?.Name ?? CampaignId, href: $"marketing/campaigns/{Uri.EscapeDataString(CampaignId)}/runs"),
            new("Run details", href: null, disabled: true),
        ];
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_samplesRequested || _campaign is null || _run is null)
        {
            return;
        }
        _samplesRequested = true;
        // Samples ask Klaviyo for a page of profiles: loaded once, after the page is shown, never on progress refreshes.
        try
        {
            var plan = await Planner.PlanAsync(AsBeforeTheRun(_campaign, _run, _originals), _disposed.Token);
            _samples = plan.Samples;
            _samplesError = plan.Samples.Count == 0
                ? plan.EstimateFailure is { } failure ? $"Sample contacts could not be loaded: {failure}" : plan.Warning
                : null;
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        StateHasChanged();
    }

    /// <summary>
    /// The run's messages with the content they had before it started: once switched, Klaviyo (and the last sync) hold
    /// the lookup expression, which is not what a sample should be personalized from.
    /// </summary>
    private static Campaign AsBeforeTheRun(Campaign campaign, RunView run, IReadOnlyList<MessageSnapshot> originals) => new()
    {
        KlaviyoId = campaign.KlaviyoId,
        Name = campaign.Name,
        RawStatus = campaign.RawStatus,
        Status = campaign.Status,
        SendTime = campaign.SendTime,
        IncludedAudienceIds = campaign.IncludedAudienceIds,
        ExcludedAudienceIds = campaign.ExcludedAudienceIds,
        Messages = campaign.Messages
            .Where(m => run.MessageIds.Contains(m.KlaviyoId))
            .Select(m => originals.FirstOrDefault(o => o.MessageId == m.KlaviyoId) is { } original
                ? new CampaignMessage { KlaviyoId = m.KlaviyoId, Label = m.Label, Subject = original.Subject, PreviewText = original.PreviewText, TemplateId = m.TemplateId }
                : m)
            .ToList(),
    };

    /// <summary>A new run with the failed run's messages, through the same start service (and its rules) as the modal.</summary>
    private async Task RetryAsync()
    {
        if (_run is null)
        {
            return;
        }
        _retrying = true;
        _retryErrors = [];
        try
        {
            var user = AuthenticationState is null ? null : (await AuthenticationState).User.Identity?.Name;
            var result = await RunService.StartAsync(
                new StartRunRequest(CampaignId, _run.MessageIds, RunTrigger.Manual, user ?? "a marketer") { HoldoutShare = _run.HoldoutShare }, _disposed.Token);
            if (result.Succeeded)
            {
                Navigation.NavigateTo($"marketing/campaigns/{Uri.EscapeDataString(CampaignId)}/runs/{result.Run!.Id}");
                return;
            }
            _retryErrors = result.Errors.Select(e => e.ErrorMessage).Distinct().ToList();
        }
        finally
        {
            _retrying = false;
        }
    }

    private string MessageLabel(string messageId) =>
        _campaign?.Messages.FirstOrDefault(m => m.KlaviyoId == messageId)?.Label ?? messageId;

    /// <summary>Event kinds named after run states read in the product's words ("InProgress" -> "In Progress").</summary>
    private static string KindText(string kind) =>
        Enum.TryParse<RunState>(kind, out var state) ? PersonalizationEligibility.StateText(state) : kind;

    private static Color ColorOf(string kind) => kind switch
    {
        "Completed" or "CleanedUp" => Color.Success,
        "Failed" => Color.Error,
        "Cancelling" or "Cancelled" or "Warning" => Color.Warning,
        _ => Color.Primary,
    };

    private async Task ConfirmCancelAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Cancel personalization?",
            "In-flight work stops, the original content is restored and the personalized properties are removed from contacts.",
            yesText: "Cancel personalization",
            cancelText: "Keep running");
        if (confirmed == true)
        {
            await RunService.CancelAsync(RunId, "a marketer", CancellationToken.None);
        }
    }

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
        _live?.Dispose();
    }
}
