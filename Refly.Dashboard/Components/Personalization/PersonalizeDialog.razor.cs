using Microsoft.AspNetCore.Components;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;
using Refly.Dashboard.Hosting;

namespace Refly.Dashboard.Components.Personalization;

/// <summary>The Personalize modal: choose messages, see the estimate against the send time and sample content, confirm.</summary>
public sealed partial class PersonalizeDialog : IDisposable
{
    private readonly HashSet<string> _selected = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closed = new();
    private List<string> _errors = [];
    private PersonalizationPlan? _plan;
    private bool _starting;

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = default!;

    [Parameter, EditorRequired]
    public required Campaign Campaign { get; set; }

    /// <summary>Who confirms (recorded on the run).</summary>
    [Parameter]
    public string? StartedBy { get; set; }

    [Inject]
    public required PersonalizationPlanner Planner { get; init; }

    [Inject]
    public required PersonalizationRunService Runs { get; init; }

    [Inject]
    public required BrowserTimeZone BrowserTime { get; init; }

    /// <summary>Only on an estimate: while estimating, or when Klaviyo could not be asked, nothing may start.</summary>
    private bool CanConfirm => !_starting && _selected.Count > 0 && _plan is { EstimateFailure: null, SendTimeCheck.IsAllowed: true };

    protected override async Task OnInitializedAsync()
    {
        if (!Campaign.IsAbTest && Campaign.Messages.Count == 1)
        {
            _selected.Add(Campaign.Messages[0].KlaviyoId);
        }
        await EstimateAsync();
    }

    private async Task EstimateAsync()
    {
        _plan = null;
        try
        {
            _plan = await Planner.PlanAsync(Campaign, _closed.Token);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            // The dialog closed while estimating.
        }
    }

    private void Toggle(string messageId, bool selected)
    {
        if (selected)
        {
            _selected.Add(messageId);
        }
        else
        {
            _selected.Remove(messageId);
        }
        _errors = [];
    }

    private async Task ConfirmAsync()
    {
        if (_selected.Count == 0)
        {
            _errors = ["Select at least one message to personalize."];
            return;
        }
        _starting = true;
        var ordered = Campaign.Messages.Select(m => m.KlaviyoId).Where(_selected.Contains).ToList();
        var result = await Runs.StartAsync(new StartRunRequest(Campaign.KlaviyoId, ordered, RunTrigger.Manual, StartedBy ?? "a marketer"), _closed.Token);
        _starting = false;
        if (result.Succeeded)
        {
            MudDialog.Close(DialogResult.Ok(result.Run!.Id));
            return;
        }
        _errors = result.Errors.Select(e => e.ErrorMessage).Distinct().ToList();
    }

    private void Cancel() => MudDialog.Cancel();

    /// <summary>The original content (not a lookup expression left by an earlier run) once the plan is loaded.</summary>
    private MessageContent OriginalOf(CampaignMessage message) =>
        _plan?.Originals.GetValueOrDefault(message.KlaviyoId) ?? new MessageContent(PersonalizedMarkup.FallbackOf(message.Subject), message.PreviewText is null ? null : PersonalizedMarkup.FallbackOf(message.PreviewText));

    private static string DurationText(TimeSpan? duration) => duration switch
    {
        null => "unknown",
        { TotalMinutes: < 1 } => "under a minute",
        { TotalHours: < 1 } d => $"about {Math.Ceiling(d.TotalMinutes):0} min",
        { } d => $"about {d.TotalHours:0.#} h",
    };

    public void Dispose()
    {
        _closed.Cancel();
        _closed.Dispose();
    }
}
