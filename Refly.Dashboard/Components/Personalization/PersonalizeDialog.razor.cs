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

    /// <summary>
    /// Samples are shown and not approved (as they stand now), or were written with another brief than the one in the
    /// modal: nothing starts before the marketer approves samples of this brief.
    /// </summary>
    private bool NeedsApproval =>
        _approval is { } approval && approval.Items.Any(i => _selected.Contains(i.Sample.MessageId)) && (!approval.Approved || SamplesStale);

    /// <summary>The brief in the modal differs from the one the samples were written with.</summary>
    private bool SamplesStale => _approval is { Items.Count: > 0 } approval && _brief is not null && _brief.Hash() != approval.BriefHash;

    private bool _rewriting;

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
            _approval = new SampleApprovalDraft(_plan.Samples) { BriefHash = _plan.Brief.Hash() };
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            // The dialog closed while estimating.
        }
    }

    /// <summary>Writes the samples again with the brief in the modal (the marketer's edits of the same groups stay).</summary>
    private async Task RewriteSamplesAsync()
    {
        if (_approval is null || _brief is null)
        {
            return;
        }
        _rewriting = true;
        try
        {
            var brief = _brief;
            var samples = await Planner.SamplesWithBriefAsync(Campaign, brief, _closed.Token);
            _approval = _approval.Rewritten(samples, brief.Hash());
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            // The dialog closed while writing.
        }
        catch (Refly.Core.Klaviyo.KlaviyoException ex)
        {
            _errors = [$"The samples could not be written again: {ex.Message}"];
        }
        finally
        {
            _rewriting = false;
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
