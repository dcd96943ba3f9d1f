using Microsoft.Extensions.Options;

namespace Refly.Core.Personalization;

/// <summary>The personalizer one run uses, chosen when it starts; <see cref="Model"/> is set when a model takes part.</summary>
/// <param name="Name">One of <see cref="PersonalizerNames.All"/>.</param>
/// <param name="Personalizer">What the audience reader calls.</param>
/// <param name="Model">The model part (for <c>llm</c>, a hybrid without deadline); null for rule-based.</param>
public sealed record RunPersonalizer(string Name, IPersonalizer Personalizer, HybridPersonalizer? Model);

/// <summary>Makes a run's personalizer: <c>rule-based</c>, <c>llm</c> (the model for every group) or <c>hybrid</c>.</summary>
public sealed class RunPersonalizerFactory(
    PersonalizerSelector selector,
    RuleBasedPersonalizer ruleBased,
    ModelRatesSource rates,
    ExpectedThroughput throughput,
    IOptionsMonitor<PersonalizationOptions> options,
    TimeProvider time)
{
    /// <summary>Time kept back before the lock besides the audience's own write time: the last import jobs and a margin.</summary>
    public static readonly TimeSpan FixedReserve = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The plan when the start names none: rule-based when the rule-based personalizer is configured; with the model
    /// configured, hybrid when there is a deadline (the model cannot be known to finish before the lock), else llm.
    /// </summary>
    public string DefaultFor(DateTimeOffset? sendTime) =>
        options.CurrentValue.Personalizer != LlmPersonalizer.PersonalizerName
            ? PersonalizerNames.RuleBased
            : sendTime is null ? PersonalizerNames.Llm : PersonalizerNames.Hybrid;

    /// <summary>Whether a model is configured, so that <c>llm</c> and <c>hybrid</c> can run.</summary>
    public bool ModelAvailable => selector.TryGetLlm(out _);

    /// <summary>
    /// The run's personalizer. <paramref name="sendTime"/> is the run's <see cref="PersonalizationRun.SendTime"/> (null
    /// for a Draft); <paramref name="audience"/> its estimated size, whose write time is kept in reserve before the lock.
    /// Falls back to rule-based when no model is configured any more.
    /// </summary>
    public async Task<RunPersonalizer> CreateAsync(string name, DateTimeOffset? sendTime, long? audience, CancellationToken cancellationToken)
    {
        if (name == PersonalizerNames.RuleBased || !selector.TryGetLlm(out var llm))
        {
            return new RunPersonalizer(PersonalizerNames.RuleBased, ruleBased, null);
        }
        if (name == PersonalizerNames.Llm)
        {
            // A hybrid without deadline admits every group: the model for everyone, with the same counters.
            var all = new HybridPersonalizer(llm, ruleBased, ModelBudget.Unlimited(time));
            return new RunPersonalizer(name, all, all);
        }
        var measured = await rates.CurrentAsync(cancellationToken);
        var budget = new ModelBudget(DeadlineOf(sendTime), measured.GroupsPerSecond, ReserveFor(audience), time);
        var hybrid = new HybridPersonalizer(llm, ruleBased, budget);
        return new RunPersonalizer(PersonalizerNames.Hybrid, hybrid, hybrid);
    }

    /// <summary>The run's deadline: the send time minus the edit lock.</summary>
    public static DateTimeOffset? DeadlineOf(DateTimeOffset? sendTime) => sendTime - SendTimeCheck.EditLockWindow;

    /// <summary>What the rest of the run needs after the model stops: twice the audience's write time plus <see cref="FixedReserve"/>.</summary>
    public TimeSpan ReserveFor(long? audience) =>
        TimeSpan.FromSeconds(2.0 * (audience ?? 0) / throughput.ContactsPerSecond) + FixedReserve;
}
