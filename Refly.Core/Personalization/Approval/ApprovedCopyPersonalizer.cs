namespace Refly.Core.Personalization;

/// <summary>
/// A run's personalizer with the marketer's approved copy on top: a contact whose fact group and message have approved
/// copy receives it (their first name filled in, made safe like any other output); everyone else gets what the inner
/// personalizer writes, in one batch, in order. Approved copy for a message whose original subject or preview changed
/// since the approval is not used (the inner personalizer writes from the new original).
/// </summary>
public sealed class ApprovedCopyPersonalizer : IPersonalizer
{
    private readonly IPersonalizer _inner;
    private readonly Dictionary<(string MessageId, string FactsHash), ApprovedCopy> _copies;

    public ApprovedCopyPersonalizer(IPersonalizer inner, IEnumerable<ApprovedCopy> copies)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(copies);
        _inner = inner;
        _copies = copies.ToDictionary(c => (c.MessageId, c.FactsHash));
    }

    /// <summary>The inner personalizer when there is no approved copy, else the inner one wrapped.</summary>
    public static IPersonalizer Wrap(IPersonalizer inner, IReadOnlyCollection<ApprovedCopy> copies) =>
        copies.Count == 0 ? inner : new ApprovedCopyPersonalizer(inner, copies);

    public string Name => _inner.Name;

    /// <summary>How many contacts received approved copy.</summary>
    public long ApprovedContacts => Interlocked.Read(ref _approvedContacts);

    private long _approvedContacts;

    public async ValueTask<PersonalizedContent> PersonalizeAsync(PersonalizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return Approved(request) ?? await _inner.PersonalizeAsync(request, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<PersonalizedContent>> PersonalizeBatchAsync(
        IReadOnlyList<PersonalizationRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new PersonalizedContent?[requests.Count];
        var rest = new List<PersonalizationRequest>(requests.Count);
        var restAt = new List<int>(requests.Count);
        for (var i = 0; i < requests.Count; i++)
        {
            results[i] = Approved(requests[i]);
            if (results[i] is null)
            {
                rest.Add(requests[i]);
                restAt.Add(i);
            }
        }

        if (rest.Count > 0)
        {
            var written = await _inner.PersonalizeBatchAsync(rest, cancellationToken).ConfigureAwait(false);
            for (var j = 0; j < restAt.Count; j++)
            {
                results[restAt[j]] = written[j];
            }
        }

        return results!;
    }

    private PersonalizedContent? Approved(PersonalizationRequest request)
    {
        if (_copies.Count == 0
            || !_copies.TryGetValue((request.MessageId, ContactFacts.From(request.Profile, request.Brief).Hash), out var copy)
            || (copy.OriginalHash.Length > 0 && copy.OriginalHash != ApprovedCopyStore.OriginalHashOf(request.Original)))
        {
            return null;
        }

        Interlocked.Increment(ref _approvedContacts);
        return Compose(copy, RuleBasedPersonalizer.GreetingName(request.Profile));
    }

    /// <summary>The approved copy for a contact called <paramref name="firstName"/> (empty when unknown), made safe.</summary>
    public static PersonalizedContent Compose(ApprovedCopy copy, string firstName)
    {
        ArgumentNullException.ThrowIfNull(copy);
        var subject = ContentGuardrails.ToSafeText(FirstNameToken.Fill(copy.Subject, firstName), ContentGuardrails.MaxSubjectLength);
        var preview = ContentGuardrails.ToSafeText(FirstNameToken.Fill(copy.PreviewText, firstName), ContentGuardrails.MaxPreviewTextLength);
        var intro = copy.Intro.Length == 0 ? string.Empty : ContentGuardrails.ToSafeHtmlParagraph(FirstNameToken.Fill(copy.Intro, firstName));
        return new PersonalizedContent(
            subject.Length == 0 ? null : subject,
            preview.Length == 0 ? null : preview,
            intro.Length == 0 ? null : intro)
        {
            Source = copy.Origin switch
            {
                ApprovedCopyOrigin.Model => ContentSource.Model,
                ApprovedCopyOrigin.RuleBased => ContentSource.RuleBased,
                _ => ContentSource.Marketer,
            },
        };
    }
}
