namespace Refly.Core.Personalization;

/// <summary>
/// The model for the fact groups that fit before the deadline, the rule-based personalizer for the rest, so every
/// contact has personalized content at send. Per batch, the groups go largest first to the <see cref="ModelBudget"/>,
/// which admits them while the model can finish them in time; the admitted ones go to the <see cref="LlmPersonalizer"/>
/// in one batch (its cache, batching and concurrency apply), the others get the rule-based copy at once.
/// One per run: the budget holds the run's deadline.
/// </summary>
public sealed class HybridPersonalizer(LlmPersonalizer llm, RuleBasedPersonalizer ruleBased, ModelBudget budget) : IPersonalizer
{
    /// <summary>The value of <see cref="Name"/>.</summary>
    public const string PersonalizerName = "hybrid";

    /// <summary>Why a group got the rule-based copy (<see cref="PersonalizedContent.FallbackReason"/>).</summary>
    public const string OutOfTimeReason = "model out of time before the send";

    /// <inheritdoc />
    public string Name => PersonalizerName;

    /// <summary>The run's budget.</summary>
    public ModelBudget Budget => budget;

    /// <summary>The model part's counters for this run alone (other runs share the <see cref="LlmPersonalizer"/>, not these).</summary>
    public LlmPersonalizerStats ModelStats { get; } = new();

    /// <inheritdoc />
    public async ValueTask<PersonalizedContent> PersonalizeAsync(PersonalizationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var results = await PersonalizeBatchAsync([request], cancellationToken).ConfigureAwait(false);
        return results[0];
    }

    /// <inheritdoc cref="IPersonalizer.PersonalizeBatchAsync"/>
    public async ValueTask<IReadOnlyList<PersonalizedContent>> PersonalizeBatchAsync(
        IReadOnlyList<PersonalizationRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new PersonalizedContent[requests.Count];
        var groups = Enumerable.Range(0, requests.Count)
            .GroupBy(i => GroupKey(requests[i]), StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();

        var toModel = new List<int>(requests.Count);
        var admitted = 0;
        foreach (var group in groups)
        {
            if (budget.TryAdmit())
            {
                admitted++;
                toModel.AddRange(group);
                continue;
            }
            foreach (var i in group)
            {
                results[i] = ruleBased.Personalize(requests[i]) with { Source = ContentSource.RuleBased, FallbackReason = OutOfTimeReason };
            }
        }

        if (toModel.Count == 0)
        {
            return results;
        }
        try
        {
            var written = await llm.PersonalizeBatchAsync(toModel.Select(i => requests[i] with { Usage = ModelStats }).ToList(), cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < toModel.Count; k++)
            {
                results[toModel[k]] = written[k];
            }
        }
        finally
        {
            budget.Record(admitted);
        }
        return results;
    }

    // The LLM personalizer's own grouping, per message and brief: contacts with equal facts share one generation.
    private static string GroupKey(PersonalizationRequest request) =>
        string.Join('\u001F', request.MessageId, request.BriefHash ?? string.Empty, ContactFacts.From(request.Profile, request.Brief).Hash);
}
