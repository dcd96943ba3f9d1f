using Microsoft.AspNetCore.Components;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Dashboard.Components.Shared;
using Refly.Dashboard.Hosting;

namespace Refly.Dashboard.Components.Pages.Campaigns;

/// <summary>A campaign's run history (Core's <see cref="RunQueryService.HistoryAsync"/>), kept live by run changes.</summary>
public sealed partial class RunHistoryPage : IDisposable
{
    private List<BreadcrumbItem> _breadcrumbs = [];
    private bool _loading = true;
    private Campaign? _campaign;
    private IReadOnlyList<RunView> _runs = [];
    private bool _showSources;
    private LiveReload? _live;

    [Parameter]
    public required string CampaignId { get; set; }

    [Inject]
    public required CampaignQueryService Campaigns { get; init; }

    [Inject]
    public required RunQueryService Runs { get; init; }

    [Inject]
    public required IChangeNotifier Notifier { get; init; }

    [Inject]
    public required BrowserTimeZone BrowserTime { get; init; }

    protected override async Task OnParametersSetAsync()
    {
        _live ??= new LiveReload(
            Notifier,
            change => change is RunChanged c && c.CampaignKlaviyoId == CampaignId || change is CampaignsChanged,
            InvokeAsync,
            async () =>
            {
                await LoadAsync();
                StateHasChanged();
            },
            DispatchExceptionAsync);
        await LoadAsync();
        _loading = false;
    }

    private async Task LoadAsync()
    {
        _campaign = await Campaigns.FindAsync(CampaignId, CancellationToken.None);
        _runs = _campaign is null ? [] : await Runs.HistoryAsync(CampaignId, CancellationToken.None);
        // The source split column appears once runs record it (the LLM source split); never with made-up numbers.
        _showSources = _runs.Any(r => r.SourceSplit is not null);
        _breadcrumbs =
        [
            new("Marketing", href: null, disabled: true),
            new("Campaigns", href: "marketing/campaigns"),
            new(_campaign?.Name ?? CampaignId, href: null, disabled: true),
            new("Run history", href: null, disabled: true),
        ];
    }

    public void Dispose()
    {
        _live?.Dispose();
    }
}
