namespace Refly.Core.Personalization;

/// <summary>
/// Produces per-contact content for a message. Implementations are thread-safe singletons; their output must
/// already satisfy <see cref="ContentGuardrails"/>. They throw only <see cref="OperationCanceledException"/>
/// for the caller's token: any other failure for a contact becomes <see cref="PersonalizedContent.Fallback"/>.
/// </summary>
public interface IPersonalizer
{
    /// <summary>Stable name for configuration and logs (e.g. "rule-based", "llm").</summary>
    string Name { get; }

    /// <summary>Content for one contact and one message.</summary>
    ValueTask<PersonalizedContent> PersonalizeAsync(PersonalizationRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Content for a batch (e.g. a page of profiles times the selected messages), in the order of
    /// <paramref name="requests"/>. The default runs them one after another; implementations that wait on I/O
    /// run them concurrently within their own bounds.
    /// </summary>
    async ValueTask<IReadOnlyList<PersonalizedContent>> PersonalizeBatchAsync(
        IReadOnlyList<PersonalizationRequest> requests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requests);
        var results = new PersonalizedContent[requests.Count];
        for (var i = 0; i < results.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            results[i] = await PersonalizeAsync(requests[i], cancellationToken).ConfigureAwait(false);
        }

        return results;
    }
}
