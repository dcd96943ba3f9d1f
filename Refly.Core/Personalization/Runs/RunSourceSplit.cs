namespace Refly.Core.Personalization;

/// <summary>
/// Where a run's content came from, per contact (times messages): the model, the rule-based personalizer, or the
/// original kept as the fallback; from <see cref="RunPersonalizationStats"/>. A run started before runs recorded it has
/// none: <see cref="RunView.SourceSplit"/> is null and the history hides the column rather than show made-up numbers.
/// </summary>
public sealed record RunSourceSplit(long Model, long RuleBased, long Original);
