using Microsoft.AspNetCore.Components;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Notifications;

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
    private IDisposable? _subscription;
    private Throttle? _refresh;

    [Inject]
    public required CampaignQueryService Campaigns { get; init; }

    [Inject]
    public required IChangeNotifier Notifier { get; init; }

    [Inject]
    public required SyncStatus SyncStatus { get; init; }

    protected override void OnInitialized()
    {
        _refresh = new Throttle(_refreshInterval, RefreshAsync);
        _subscription = Notifier.Subscribe(change =>
        {
            if (change is CampaignsChanged or RunChanged or SyncStatusChanged)
            {
                _refresh.Signal();
            }
            return Task.CompletedTask;
        });
    }

    private Task RefreshAsync() => InvokeAsync(async () =>
    {
        try
        {
            if (_table is not null)
            {
                await _table.ReloadServerData();
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
        return new TableData<Campaign> { Items = page.Items, TotalItems = page.TotalCount };
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
