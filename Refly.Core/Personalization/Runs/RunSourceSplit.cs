namespace Refly.Core.Personalization;

/// <summary>
/// Where a run's content came from, per contact: the model, the rule-based personalizer, or the original kept as the
/// fallback. Runs do not record it yet (the LLM source split lands with its own change): until then
/// <see cref="RunView.SourceSplit"/> is null and the history hides the column rather than show made-up numbers.
/// </summary>
public sealed record RunSourceSplit(long Model, long RuleBased, long Original);
