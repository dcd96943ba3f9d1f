using Microsoft.AspNetCore.Components;
using MudBlazor;
using Refly.Core.Impact;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Impact.Reporting;
using Refly.Core.Notifications;
using Refly.Dashboard.Components.Shared;
using Refly.Dashboard.Hosting;

namespace Refly.Dashboard.Components.Impact;

/// <summary>
/// A Sent campaign's results (Core's <see cref="CampaignImpactService"/>), reloaded when a report for it is stored;
/// Refresh asks the report queue for a new read within Klaviyo's limits.
/// </summary>
public sealed partial class CampaignResults : IDisposable
{
    private static readonly int ReportHours = (int)ReportSchedule.FirstStep.TotalHours;

    private CampaignImpactResult? _result;
    private string? _refreshBlockedReason;
    private string? _refreshNote;
    private bool _refreshing;
    private DateTimeOffset _refreshQueuedAt;
    private LiveReload? _live;
    private string? _loadedFor;

    /// <summary>Klaviyo's campaign id.</summary>
    [Parameter]
    public required string CampaignId { get; set; }

    [Inject]
    public required CampaignImpactService Impacts { get; init; }

    [Inject]
    public required CampaignReportQueue Queue { get; init; }

    [Inject]
    public required CampaignReportTrigger Trigger { get; init; }

    [Inject]
    public required HoldoutRefreshTrigger HoldoutTrigger { get; init; }

    [Inject]
    public required ReportingBudget Budget { get; init; }

    [Inject]
    public required IChangeNotifier Notifier { get; init; }

    [Inject]
    public required BrowserTimeZone BrowserTime { get; init; }

    protected override async Task OnParametersSetAsync()
    {
        _live ??= new LiveReload(
            Notifier,
            change => change is ImpactReportsChanged c && c.CampaignIds.Contains(CampaignId) || change is CampaignsChanged,
            InvokeAsync,
            async () =>
            {
                await LoadAsync();
                StateHasChanged();
            },
            DispatchExceptionAsync);
        if (_loadedFor != CampaignId)
        {
            await LoadAsync();
        }
    }

    private async Task LoadAsync()
    {
        _loadedFor = CampaignId;
        _result = await Impacts.GetAsync(CampaignId, CancellationToken.None);
        var budget = await Budget.StatusAsync(CancellationToken.None);
        _refreshBlockedReason = budget.Spent
            ? $"Today's Klaviyo report budget is spent: the next refresh is possible at {BrowserTime.ToLocal(budget.NextAllowedAt):ddd d MMM, HH:mm}."
            : null;
        if (_refreshing && _result.Impact is { } impact && impact.FetchedAt >= _refreshQueuedAt)
        {
            // The refresh asked for has been read.
            _refreshing = false;
            _refreshNote = null;
        }
    }

    private async Task RefreshAsync()
    {
        _refreshing = true;
        var outcome = await Queue.RequestRefreshAsync(CampaignId, CancellationToken.None);
        switch (outcome.Outcome)
        {
            case ReportRefreshOutcome.Queued:
                _refreshQueuedAt = outcome.NextAllowedAt!.Value;
                await Trigger.FireAsync(CancellationToken.None);
                // A run with a holdout also reads the send's events again (personalized vs control).
                await HoldoutTrigger.FireAsync(CampaignId, CancellationToken.None);
                _refreshNote = "Reading Klaviyo's report (at most 2 a minute: this can take a minute).";
                break;
            case ReportRefreshOutcome.BudgetSpent:
                _refreshing = false;
                _refreshBlockedReason = $"Today's Klaviyo report budget is spent: the next refresh is possible at {BrowserTime.ToLocal(outcome.NextAllowedAt!.Value):ddd d MMM, HH:mm}.";
                break;
            default:
                _refreshing = false;
                _refreshNote = "This campaign is not Sent: there are no results to read.";
                break;
        }
    }

    private string NextFetchText(DateTimeOffset? next) =>
        next is { } at ? $" · next fetch {BrowserTime.ToLocal(at):ddd d MMM, HH:mm}" : "";

    private static string NoLiftReason(CampaignImpact impact) =>
        impact.Messages.All(m => m.Personalized)
            ? "Every message was personalized, so there is no control to compare with: keep one variation unselected, or hold contacts out, to measure the lift."
            : "No message of this campaign was personalized: there is nothing to compare yet.";

    private static List<ChartSeries<double>> TimelineSeries(HoldoutImpact holdout) =>
    [
        Series("Opens · personalized", holdout.Timeline.Select(p => p.PersonalizedOpenRate)),
        Series("Opens · control", holdout.Timeline.Select(p => p.ControlOpenRate)),
        Series("Clicks · personalized", holdout.Timeline.Select(p => p.PersonalizedClickRate)),
        Series("Clicks · control", holdout.Timeline.Select(p => p.ControlClickRate)),
    ];

    private static ChartSeries<double> Series(string name, IEnumerable<double> rates) =>
        new() { Name = name, Data = new ChartData<double>(rates.Select(r => Math.Round(r * 100, 2)).ToList()) };

    // Every point gets a label slot; only about eight carry text, so the axis stays readable.
    private string[] TimelineLabels(HoldoutImpact holdout)
    {
        var every = Math.Max(1, holdout.Timeline.Count / 8);
        return holdout.Timeline.Select((p, i) => i % every == 0 ? BrowserTime.ToLocal(p.At).ToString("ddd HH:mm") : "").ToArray();
    }

    public void Dispose()
    {
        _live?.Dispose();
    }
}
