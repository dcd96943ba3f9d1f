namespace Refly.Core.Personalization;

/// <summary>
/// The approval step as the modal holds it until Confirm: each sample's copy as it now stands (suggested, written
/// again, or edited), the marketer's approval (withdrawn by any later change), and the copy to save for the groups.
/// </summary>
public sealed class SampleApprovalDraft
{
    private readonly List<SampleDraft> _items;

    public SampleApprovalDraft(IEnumerable<SamplePreview> samples)
    {
        ArgumentNullException.ThrowIfNull(samples);
        _items = samples.Select(s => new SampleDraft(s)).ToList();
    }

    /// <summary>The samples, in the planner's order (largest groups first).</summary>
    public IReadOnlyList<SampleDraft> Items => _items;

    /// <summary>True once the marketer approved the samples as they stand now.</summary>
    public bool Approved { get; set; }

    /// <summary>The <see cref="CampaignBrief.Hash"/> of the brief the samples were written with.</summary>
    public string BriefHash { get; init; } = string.Empty;

    /// <summary>
    /// A draft of <paramref name="samples"/> written with another brief (hash <paramref name="briefHash"/>), not approved;
    /// the marketer's own edits carry over to the samples of the same message and fact group.
    /// </summary>
    public SampleApprovalDraft Rewritten(IEnumerable<SamplePreview> samples, string briefHash)
    {
        var rewritten = new SampleApprovalDraft(samples) { BriefHash = briefHash };
        var edits = _items.Where(i => i.Origin == ApprovedCopyOrigin.Marketer && i.Replacement is not null)
            .ToDictionary(i => (i.Sample.MessageId, i.Sample.FactsHash), i => i.Replacement!);
        foreach (var item in rewritten._items)
        {
            if (edits.TryGetValue((item.Sample.MessageId, item.Sample.FactsHash), out var edit))
            {
                item.Replace(edit, ApprovedCopyOrigin.Marketer);
            }
        }
        return rewritten;
    }

    /// <summary>Applies an edit when it meets the rules (<see cref="SampleApproval.Validate"/>); returns the errors per field otherwise.</summary>
    public IReadOnlyDictionary<string, string> Edit(SampleDraft item, EditableCopy edit, MessageContent original)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(edit);
        var errors = SampleApproval.Validate(edit, original);
        if (errors.Count > 0)
        {
            return errors;
        }

        var trimmed = new EditableCopy(edit.Subject.Trim(), edit.PreviewText?.Trim() ?? string.Empty, edit.Intro?.Trim() ?? string.Empty);
        item.Replace(trimmed, ApprovedCopyOrigin.Marketer);
        Approved = false;
        return errors;
    }

    /// <summary>Takes a sample written again; false (nothing changes) when the personalizer fell back to the original.</summary>
    public bool Regenerated(SampleDraft item, PersonalizedContent content)
    {
        ArgumentNullException.ThrowIfNull(item);
        ArgumentNullException.ThrowIfNull(content);
        if (content.IsFallback || content.Subject is null || item.Sample.Profile is not { } profile)
        {
            return false;
        }

        item.Replace(SampleApproval.ToEditable(content, profile), content.Source == ContentSource.Model ? ApprovedCopyOrigin.Model : ApprovedCopyOrigin.RuleBased);
        Approved = false;
        return true;
    }

    /// <summary>The copy to save for the selected messages: every sample the marketer edited or had written again.</summary>
    public IReadOnlyList<ApprovedCopyInput> CopiesFor(IReadOnlyCollection<string> selectedMessageIds)
    {
        ArgumentNullException.ThrowIfNull(selectedMessageIds);
        return _items
            .Where(i => i.Replacement is not null && i.Sample.FactsHash.Length > 0 && selectedMessageIds.Contains(i.Sample.MessageId))
            .Select(i => new ApprovedCopyInput(i.Sample.MessageId, i.Sample.FactsHash, i.Replacement!.Subject, i.Replacement.PreviewText, i.Replacement.Intro, i.Origin!.Value))
            .ToList();
    }
}

/// <summary>One sample of the approval step.</summary>
public sealed class SampleDraft(SamplePreview sample)
{
    public SamplePreview Sample { get; } = sample;

    /// <summary>The copy this sample's contact would receive now.</summary>
    public PersonalizedContent Current { get; private set; } = sample.Content;

    /// <summary>The group's copy replacing the suggestion (an edit or a rewrite); null while the suggestion stands.</summary>
    public EditableCopy? Replacement { get; private set; }

    /// <summary>Who wrote <see cref="Replacement"/>.</summary>
    public ApprovedCopyOrigin? Origin { get; private set; }

    /// <summary>How many times it was written again (the next variant to ask for is one more).</summary>
    public int Variant { get; set; }

    /// <summary>The copy as the marketer edits it: the replacement, else the suggestion without the contact's name.</summary>
    public EditableCopy Editable =>
        Replacement ?? (Sample.Profile is { } profile
            ? SampleApproval.ToEditable(Sample.Content, profile)
            : new EditableCopy(Sample.Content.Subject ?? Sample.OriginalSubject, Sample.Content.PreviewText ?? string.Empty, SampleApproval.PlainTextOf(Sample.Content.IntroHtml)));

    internal void Replace(EditableCopy copy, ApprovedCopyOrigin origin)
    {
        Replacement = copy;
        Origin = origin;
        var copyRow = new ApprovedCopy
        {
            CampaignKlaviyoId = string.Empty,
            MessageId = Sample.MessageId,
            FactsHash = Sample.FactsHash,
            Subject = copy.Subject,
            PreviewText = copy.PreviewText,
            Intro = copy.Intro,
            Origin = origin,
            OriginalHash = string.Empty,
        };
        Current = ApprovedCopyPersonalizer.Compose(copyRow, Sample.Profile is { } p ? RuleBasedPersonalizer.GreetingName(p) : string.Empty);
    }
}
