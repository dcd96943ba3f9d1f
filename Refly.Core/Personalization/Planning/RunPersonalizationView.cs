namespace Refly.Core.Personalization;

/// <summary>A run's personalization as pages and the API show it: personalizer, split by source, model usage and cost.</summary>
/// <param name="Personalizer"><c>rule-based</c>, <c>llm</c> or <c>hybrid</c>.</param>
/// <param name="Split">Contacts (times messages) by source.</param>
/// <param name="ModelCalls">Model calls.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="DistinctGroups">Fact groups the model was asked about.</param>
/// <param name="CacheHits">Groups whose copy came from the cache.</param>
/// <param name="Cost">At the prices in Settings now; null when none is set.</param>
public sealed record RunPersonalizationView(
    string Personalizer,
    RunSourceSplit Split,
    long ModelCalls,
    long InputTokens,
    long OutputTokens,
    long DistinctGroups,
    long CacheHits,
    decimal? Cost)
{
    /// <summary>The view of <paramref name="stats"/>, with the cost at <paramref name="prices"/>.</summary>
    public static RunPersonalizationView From(RunPersonalizationStats stats, LlmPersonalizerOptions? prices)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return new RunPersonalizationView(stats.Personalizer, stats.SourceSplit, stats.ModelCalls, stats.InputTokens, stats.OutputTokens,
            stats.DistinctGroups, stats.CacheHits, stats.ModelCalls > 0 ? prices?.CostOf(stats.InputTokens, stats.OutputTokens) : null);
    }
}
