using Microsoft.AspNetCore.Components;
using Refly.Core.Personalization;

namespace Refly.Dashboard.Components.Personalization;

/// <summary>
/// The samples of the Personalize modal to approve: edit one (checked against the guardrails, errors beside each
/// field), write one again (the personalizer a run would use, another variant), then approve. Any change withdraws
/// the approval; the modal starts nothing until the marketer approves again.
/// </summary>
public sealed partial class SampleApprovalPanel
{
    private readonly Dictionary<SampleDraft, string> _notes = [];
    private SampleDraft? _editing;
    private SampleDraft? _busy;
    private IReadOnlyDictionary<string, string> _errors = new Dictionary<string, string>();
    private string _subject = string.Empty;
    private string _preview = string.Empty;
    private string _intro = string.Empty;

    /// <summary>The samples and their state (owned by the modal, which saves the approved copy on Confirm).</summary>
    [Parameter, EditorRequired]
    public required SampleApprovalDraft Draft { get; set; }

    /// <summary>Each message's original content (edits are checked against it).</summary>
    [Parameter, EditorRequired]
    public required IReadOnlyDictionary<string, MessageContent> Originals { get; set; }

    /// <summary>The campaign's name (a regenerated sample is written with it).</summary>
    [Parameter, EditorRequired]
    public required string CampaignName { get; set; }

    /// <summary>The selected messages (only their samples are shown); empty shows all.</summary>
    [Parameter]
    public IReadOnlyCollection<string> SelectedMessageIds { get; set; } = [];

    /// <summary>A message's label ("Variation A").</summary>
    [Parameter]
    public Func<string, string> MessageLabel { get; set; } = id => id;

    /// <summary>The brief samples are written again with (the one in the modal).</summary>
    [Parameter]
    public CampaignBrief Brief { get; set; } = CampaignBrief.Default;

    /// <summary>Raised when the approval or a sample changes.</summary>
    [Parameter]
    public EventCallback Changed { get; set; }

    [Inject]
    public required SampleApproval Approval { get; init; }

    private IEnumerable<SampleDraft> Visible =>
        Draft.Items.Where(i => SelectedMessageIds.Count == 0 || SelectedMessageIds.Contains(i.Sample.MessageId));

    private void StartEdit(SampleDraft item)
    {
        var editable = item.Editable;
        (_subject, _preview, _intro) = (editable.Subject, editable.PreviewText, editable.Intro);
        _errors = new Dictionary<string, string>();
        _editing = item;
    }

    private void CancelEdit() => _editing = null;

    private async Task SaveEditAsync(SampleDraft item)
    {
        _errors = Draft.Edit(item, new EditableCopy(_subject ?? string.Empty, _preview ?? string.Empty, _intro ?? string.Empty), OriginalOf(item));
        if (_errors.Count == 0)
        {
            _editing = null;
            _notes.Remove(item);
            await Changed.InvokeAsync();
        }
    }

    private async Task RegenerateAsync(SampleDraft item)
    {
        if (item.Sample.Profile is not { } profile)
        {
            return;
        }

        _busy = item;
        try
        {
            var request = new PersonalizationRequest(profile, item.Sample.MessageId, CampaignName, OriginalOf(item)) { Brief = Brief, BriefHash = Brief.Hash() };
            var content = await Approval.RegenerateAsync(request, item.Variant + 1, CancellationToken.None);
            item.Variant++;
            if (Draft.Regenerated(item, content))
            {
                _notes.Remove(item);
            }
            else
            {
                _notes[item] = $"No other copy could be written ({content.FallbackReason ?? "the personalizer kept the original"}); the sample is unchanged.";
            }
        }
        finally
        {
            _busy = null;
        }

        await Changed.InvokeAsync();
    }

    private async Task ApproveAsync(bool approved)
    {
        Draft.Approved = approved;
        await Changed.InvokeAsync();
    }

    private MessageContent OriginalOf(SampleDraft item) =>
        Originals.GetValueOrDefault(item.Sample.MessageId) ?? new MessageContent(item.Sample.OriginalSubject, null);
}
