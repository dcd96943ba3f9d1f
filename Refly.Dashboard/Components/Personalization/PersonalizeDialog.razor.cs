using Microsoft.AspNetCore.Components;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Personalization;
using Refly.Dashboard.Hosting;

namespace Refly.Dashboard.Components.Personalization;

/// <summary>The Personalize modal: choose messages, see the estimate against the send time, approve the samples (edit or regenerate one), confirm.</summary>
public sealed partial class PersonalizeDialog : IDisposable
{
    private readonly HashSet<string> _selected = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _closed = new();
    private List<string> _errors = [];
    private PersonalizationPlan? _plan;
    private string? _personalizer;
    private SampleApprovalDraft? _approval;
    private bool _starting;
    private CampaignBrief? _brief;
    private IReadOnlyList<FluentValidation.Results.ValidationFailure> _briefErrors = [];
    private int? _holdoutPercent;

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

    [Inject]
    public required ApprovedCopyStore ApprovedCopy { get; init; }

    /// <summary>Only on an estimate: while estimating, or when Klaviyo could not be asked, nothing may start.</summary>
    private bool CanConfirm => !_starting && _selected.Count > 0 && _plan is { EstimateFailure: null, SendTimeCheck.IsAllowed: true } && !NeedsApproval;

    /// <summary>Samples are shown and not approved (as they stand now): nothing starts before the marketer approves them.</summary>
    private bool NeedsApproval => _approval is { Approved: false } approval && approval.Items.Any(i => _selected.Contains(i.Sample.MessageId));

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
        _approval = null;
        try
        {
            _plan = await Planner.PlanAsync(Campaign, _closed.Token);
            _personalizer = _plan.Choices?.DefaultPersonalizer;
            _holdoutPercent ??= (int)Math.Round(_plan.DefaultHoldoutShare * 100);
            _approval = new SampleApprovalDraft(_plan.Samples);
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
        if (_approval is not null && _plan is not null)
        {
            // What the marketer approved is what the groups get, in this run and in the tag flow's next ones.
            await ApprovedCopy.SaveAsync(Campaign.KlaviyoId, _plan.Originals, _approval.CopiesFor(ordered), StartedBy, _closed.Token);
        }
        // The brief as shown (the saved one unless edited) is saved with the start.
        var result = await Runs.StartAsync(
            new StartRunRequest(Campaign.KlaviyoId, ordered, RunTrigger.Manual, StartedBy ?? "a marketer") 
            {
                Personalizer = _personalizer,
                Brief = _brief ?? _plan?.Brief,
                HoldoutShare = HoldoutPercent / 100.0,
            },
            _closed.Token);
        _starting = false;
        if (result.Succeeded)
        {
            MudDialog.Close(DialogResult.Ok(result.Run!.Id));
            return;
        }
        _briefErrors = result.Errors.Where(e => e.ErrorCode == StartRunErrors.InvalidBrief).ToList();
        _errors = result.Errors.Where(e => e.ErrorCode != StartRunErrors.InvalidBrief).Select(e => e.ErrorMessage).Distinct().ToList();
        if (_briefErrors.Count > 0 && _errors.Count == 0)
        {
            _errors = ["Check the brief: see the fields marked in red."];
        }
    }

    private void Cancel() => MudDialog.Cancel();

    /// <summary>The share held out, in whole percent (0 to 50).</summary>
    private int HoldoutPercent => Math.Clamp(_holdoutPercent ?? 10, 0, (int)(HoldoutSelector.MaxShare * 100));

    private void SetHoldout(int percent)
    {
        _holdoutPercent = Math.Clamp(percent, 0, (int)(HoldoutSelector.MaxShare * 100));
        _errors = [];
    }

    private string HoldoutHintText => HoldoutHint.For(_plan?.EstimatedRecipients, HoldoutPercent / 100.0);

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
