using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Impact;
using Refly.Core.Impact.Reporting;
using Refly.Core.Notifications;
using Refly.Core.Personalization;
using Refly.Core.Triggers;
using Refly.Dashboard.Components.Personalization;

namespace Refly.Dashboard.Components.Pages.Campaigns;

public sealed partial class CampaignsPage : IDisposable
{
    private static readonly TimeSpan _refreshInterval = TimeSpan.FromMilliseconds(250);

    private readonly List<BreadcrumbItem> _breadcrumbs =
    [
        new("Marketing", href: null, disabled: true),
        new("Campaigns", href: "marketing/campaigns"),
    ];

    private MudTable<Campaign>? _table;
    private string? _search;
    private CampaignStatus? _status;
    private IReadOnlyList<CampaignStatus> _statuses = [];
    private IDisposable? _subscription;
    private IReadOnlyDictionary<string, RunView> _runs = new Dictionary<string, RunView>();
    private IReadOnlyDictionary<string, CampaignImpact> _impacts = new Dictionary<string, CampaignImpact>();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, PersonalizationRun> _changedRuns = new(StringComparer.Ordinal);
    private volatile bool _reloadNeeded;
    private Throttle? _refresh;

    [Inject]
    public required CampaignQueryService Campaigns { get; init; }

    [Inject]
    public required IChangeNotifier Notifier { get; init; }

    [Inject]
    public required SyncStatus SyncStatus { get; init; }

    [Inject]
    public required RunQueryService RunQueries { get; init; }

    [Inject]
    public required PersonalizationRunService Runs { get; init; }

    [Inject]
    public required CampaignImpactService Impacts { get; init; }

    [Inject]
    public required IDialogService Dialogs { get; init; }

    [Inject]
    public required ISnackbar Snackbar { get; init; }

    [Inject]
    public required IOptionsMonitor<TriggerOptions> Triggers { get; init; }

    [CascadingParameter]
    private Task<AuthenticationState>? AuthenticationState { get; set; }

    protected override void OnInitialized()
    {
        _refresh = new Throttle(_refreshInterval, RefreshAsync);
        _subscription = Notifier.Subscribe(change =>
        {
            switch (change)
            {
                // Progress of a campaign on screen: update its row from the event, no database round trip.
                case RunChanged { Run: { } run } when _runs.TryGetValue(run.CampaignKlaviyoId, out var shown) && (shown.RunId == run.Id || run.CreatedAt >= shown.CreatedAt):
                    _changedRuns[run.CampaignKlaviyoId] = run;
                    break;
                case CampaignsChanged or RunChanged or SyncStatusChanged or ImpactReportsChanged:
                    _reloadNeeded = true;
                    break;
                default:
                    return Task.CompletedTask;
            }
            _refresh.Signal();
            return Task.CompletedTask;
        });
    }

    private Task RefreshAsync() => InvokeAsync(async () =>
    {
        try
        {
            if (_reloadNeeded && _table is not null)
            {
                _reloadNeeded = false;
                _changedRuns.Clear();
                await _table.ReloadServerData();
            }
            else if (!_changedRuns.IsEmpty)
            {
                var runs = new Dictionary<string, RunView>(_runs, StringComparer.Ordinal);
                foreach (var campaignId in _changedRuns.Keys)
                {
                    if (_changedRuns.TryRemove(campaignId, out var run))
                    {
                        runs[campaignId] = RunQueries.ToView(run);
                    }
                }
                _runs = runs;
            }
            StateHasChanged();
        }
        catch (Exception ex)
        {
            await DispatchExceptionAsync(ex);
        }
    });

    private async Task<TableData<Campaign>> LoadAsync(TableState state, CancellationToken cancellationToken)
    {
        var sort = state.SortLabel switch
        {
            "Name" => CampaignSort.Name,
            "Status" => CampaignSort.Status,
            _ => CampaignSort.SendTime,
        };
        var page = await Campaigns.QueryAsync(
            new CampaignQuery(_search, _status, state.Page * state.PageSize, state.PageSize, sort, state.SortDirection == SortDirection.Descending),
            cancellationToken);
        _runs = await RunQueries.LatestByCampaignAsync(page.Items.Select(c => c.KlaviyoId).ToList(), cancellationToken);
        _impacts = await Impacts.GetManyAsync(page.Items.Where(c => c.Status == CampaignStatus.Sent).Select(c => c.KlaviyoId).ToList(), cancellationToken);
        // The filter offers the statuses campaigns have now (a sync may add or remove one); the chosen one stays.
        var statuses = await Campaigns.StatusesInUseAsync(cancellationToken);
        _statuses = _status is { } chosen && !statuses.Contains(chosen) ? [.. statuses, chosen] : statuses;
        return new TableData<Campaign> { Items = page.Items, TotalItems = page.TotalCount };
    }

    private RunView? RunOf(Campaign campaign) => _runs.GetValueOrDefault(campaign.KlaviyoId);

    /// <summary>A Sent campaign's headline lift ("+1.2 pts opens", "not significant yet"), "—" without results; empty for the others.</summary>
    private string LiftOf(Campaign campaign) =>
        campaign.Status != CampaignStatus.Sent ? ""
        : _impacts.GetValueOrDefault(campaign.KlaviyoId) is { } impact ? ImpactText.TableHeadline(impact) ?? "—"
        : "—";

    /// <summary>Messages and tags in one line under the name, for widths where their columns give way.</summary>
    private static string NameExtras(Campaign campaign) =>
        string.Join(" · ", new[] { campaign.Messages.Count == 1 ? "1 message" : $"{campaign.Messages.Count} messages", campaign.IsAbTest ? "A/B" : null }
            .Concat(campaign.Tags).Where(part => !string.IsNullOrEmpty(part)));

    /// <summary>The signed-in user's name, recorded as who started or cancelled a run.</summary>
    private async Task<string> UserNameAsync() =>
        (AuthenticationState is null ? null : (await AuthenticationState).User.Identity?.Name) ?? "a marketer";

    private async Task OpenPersonalizeAsync(Campaign campaign)
    {
        var parameters = new DialogParameters<PersonalizeDialog> { { d => d.Campaign, campaign }, { d => d.StartedBy, await UserNameAsync() } };
        var options = new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseOnEscapeKey = true };
        var dialog = await Dialogs.ShowAsync<PersonalizeDialog>("Personalize", parameters, options);
        var result = await dialog.Result;
        if (result is { Canceled: false })
        {
            Snackbar.Add($"Personalization of “{campaign.Name}” started.", Severity.Success);
            _refresh?.Signal();
        }
    }

    private async Task ConfirmCancelAsync(Campaign campaign)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Cancel personalization?",
            $"In-flight work on “{campaign.Name}” stops, the original subject, preview text and template are restored and the personalized properties are removed from contacts. You can personalize it again later.",
            yesText: "Cancel personalization",
            cancelText: "Keep running");
        if (confirmed != true)
        {
            return;
        }
        var result = await Runs.CancelCampaignAsync(campaign.KlaviyoId, await UserNameAsync(), CancellationToken.None);
        if (!result.Succeeded)
        {
            Snackbar.Add(result.ErrorMessage ?? "Nothing to cancel.", Severity.Warning);
        }
        _refresh?.Signal();
    }

    private async Task OnSearchChanged(string? value)
    {
        _search = value;
        if (_table is not null)
        {
            await _table.ReloadServerData();
        }
    }

    private async Task OnStatusChanged(CampaignStatus? value)
    {
        _status = value;
        if (_table is not null)
        {
            await _table.ReloadServerData();
        }
    }

    public void Dispose()
    {
        _subscription?.Dispose();
        _refresh?.Dispose();
    }
}
