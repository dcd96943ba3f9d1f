namespace Refly.Core.Personalization;

/// <summary>The personalizers a run can be started with (the API's and the modal's <c>personalizer</c>).</summary>
public static class PersonalizerNames
{
    /// <summary>Rule-based copy for everyone: no model, as fast as Klaviyo allows.</summary>
    public const string RuleBased = RuleBasedPersonalizer.PersonalizerName;

    /// <summary>The model for every fact group; a Scheduled run that does not finish before the lock stops there.</summary>
    public const string Llm = LlmPersonalizer.PersonalizerName;

    /// <summary>The model for the fact groups that fit before the lock (largest first), the rule-based copy for the rest.</summary>
    public const string Hybrid = HybridPersonalizer.PersonalizerName;

    /// <summary>The three, in the order the modal offers them.</summary>
    public static IReadOnlyList<string> All { get; } = [Hybrid, Llm, RuleBased];

    /// <summary>Whether <paramref name="name"/> is one of <see cref="All"/> (exact, lower case).</summary>
    public static bool IsKnown(string? name) => name is not null && All.Contains(name, StringComparer.Ordinal);

    /// <summary>The marketer-facing name.</summary>
    public static string Label(string? name) => name switch
    {
        Hybrid => "Hybrid (model, then rule-based)",
        Llm => "Model (LLM)",
        RuleBased => "Rule-based",
        _ => name ?? "Rule-based",
    };
}
