using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>What an estimate starts from.</summary>
/// <param name="Recipients">The audience's estimated size.</param>
/// <param name="Messages">Messages to personalize (each is its own generation per fact group).</param>
/// <param name="Now">The time of the estimate.</param>
/// <param name="SendTime">The send time the run must meet (null for a Draft: no deadline).</param>
/// <param name="ContactsPerSecond">What Klaviyo lets the run write (<see cref="ExpectedThroughput"/>).</param>
/// <param name="Reserve">Time the rest of the run needs after the model stops (<see cref="RunPersonalizerFactory.ReserveFor"/>).</param>
public sealed record PlanInputs(long Recipients, int Messages, DateTimeOffset Now, DateTimeOffset? SendTime, double ContactsPerSecond, TimeSpan Reserve)
{
    /// <summary>The send time minus the 15-minute lock; null without a send time.</summary>
    public DateTimeOffset? Deadline => RunPersonalizerFactory.DeadlineOf(SendTime);
}

/// <summary>
/// Distinct fact groups of an audience, from a sample of it (e.g. the first page of its first list): exact when the
/// sample is the whole audience, else the Chao1 estimate (distinct seen plus singletons² over twice the doubletons),
/// which accounts for the groups the sample has not met, capped at the audience.
/// </summary>
/// <param name="SampleSize">Contacts sampled.</param>
/// <param name="DistinctInSample">Groups among them.</param>
/// <param name="DistinctGroups">Groups estimated in the audience.</param>
public sealed record FactGroupEstimate(int SampleSize, int DistinctInSample, long DistinctGroups)
{
    /// <summary>The estimate from <paramref name="sample"/> for an audience of <paramref name="recipients"/>.</summary>
    public static FactGroupEstimate FromSample(IReadOnlyCollection<KlaviyoProfile> sample, long recipients)
    {
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.Count == 0 || recipients <= 0)
        {
            // Nothing to go by: assume every contact is its own group (the cautious end).
            return new FactGroupEstimate(0, 0, Math.Max(0, recipients));
        }
        var sizes = sample.GroupBy(p => ContactFacts.From(p).Hash, StringComparer.Ordinal).Select(g => g.Count()).ToList();
        var distinct = sizes.Count;
        if (sample.Count >= recipients)
        {
            return new FactGroupEstimate(sample.Count, distinct, distinct);
        }
        double singletons = sizes.Count(s => s == 1);
        double doubletons = sizes.Count(s => s == 2);
        var chao1 = distinct + (doubletons > 0 ? singletons * singletons / (2 * doubletons) : singletons * (singletons - 1) / 2);
        // A sample of all singletons says little beyond "groups are small": then as many groups as contacts, in proportion.
        var proportional = (double)distinct / sample.Count * recipients;
        var estimate = Math.Min(Math.Max(chao1, distinct), proportional);
        return new FactGroupEstimate(sample.Count, distinct, (long)Math.Ceiling(Math.Min(recipients, Math.Max(distinct, estimate))));
    }
}

/// <summary>The estimate of a run with one personalizer.</summary>
/// <param name="Personalizer">One of <see cref="PersonalizerNames.All"/>.</param>
/// <param name="Duration">How long the run takes (it stops at the lock when that comes first).</param>
/// <param name="ModelCalls">Model calls.</param>
/// <param name="InputTokens">Prompt tokens.</param>
/// <param name="OutputTokens">Completion tokens.</param>
/// <param name="Cost">At the prices in Settings; null when none is set or the model is not used.</param>
/// <param name="ModelCoverage">Share of the audience (0..1) whose copy the model writes before the lock (or at all, without one).</param>
/// <param name="Coverage">Share of the audience with personalized content at send (model or rule-based).</param>
/// <param name="FinishesBeforeDeadline">Whether the run ends before the lock; null without a deadline.</param>
/// <param name="DistinctGroups">Fact groups times messages the model would write.</param>
/// <param name="RatesMeasured">Whether the model's rates were measured (earlier runs or the preview; else a cautious default).</param>
public sealed record PersonalizerEstimate(
    string Personalizer,
    TimeSpan Duration,
    long ModelCalls,
    long InputTokens,
    long OutputTokens,
    decimal? Cost,
    double ModelCoverage,
    double Coverage,
    bool? FinishesBeforeDeadline,
    long DistinctGroups,
    bool RatesMeasured)
{
    /// <summary>What measured the model's rates.</summary>
    public ModelRatesOrigin RatesOrigin { get; init; } = RatesMeasured ? ModelRatesOrigin.Runs : ModelRatesOrigin.Default;
}

/// <summary>
/// Estimates a run per personalizer, from the audience, its fact groups and the model's rates: the rule-based run is
/// bound by Klaviyo; the model run by the slower of Klaviyo and the model (groups ÷ groups a second); the hybrid run
/// gives the model the time to the lock less the reserve and the rule-based personalizer the rest.
/// </summary>
public static class PlanEstimator
{
    /// <summary>The estimate for <paramref name="personalizer"/>.</summary>
    public static PersonalizerEstimate Estimate(string personalizer, PlanInputs inputs, FactGroupEstimate groups, ModelRates rates, LlmPersonalizerOptions? prices)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(rates);
        var klaviyoSeconds = inputs.Recipients / Math.Max(inputs.ContactsPerSecond, 1e-9);
        var deadline = inputs.Deadline;
        double? untilDeadline = deadline is { } d ? Math.Max(0, (d - inputs.Now).TotalSeconds) : null;
        if (personalizer == PersonalizerNames.RuleBased)
        {
            var inTime = untilDeadline is { } u ? klaviyoSeconds <= u : (bool?)null;
            return new PersonalizerEstimate(personalizer, Seconds(klaviyoSeconds), 0, 0, 0, null, 0,
                inTime == false ? untilDeadline!.Value / klaviyoSeconds : 1, inTime, 0, rates.IsMeasured) { RatesOrigin = rates.Origin };
        }

        var totalGroups = groups.DistinctGroups * Math.Max(1, inputs.Messages);
        var modelSeconds = totalGroups / rates.GroupsPerSecond;
        double groupsDone;
        double duration;
        double modelCoverage;
        double coverage;
        if (personalizer == PersonalizerNames.Hybrid && untilDeadline is { } left)
        {
            var modelTime = Math.Max(0, left - inputs.Reserve.TotalSeconds);
            groupsDone = Math.Min(totalGroups, modelTime * rates.GroupsPerSecond);
            duration = Math.Max(klaviyoSeconds, groupsDone / rates.GroupsPerSecond);
            modelCoverage = totalGroups == 0 ? 1 : groupsDone / totalGroups;
            coverage = duration <= left ? 1 : left / duration;
        }
        else
        {
            // The model for everyone; a scheduled run stops at the lock with what it reached.
            var full = Math.Max(klaviyoSeconds, modelSeconds);
            var share = untilDeadline is { } u && full > u ? u / full : 1;
            duration = untilDeadline is { } stop ? Math.Min(full, stop) : full;
            groupsDone = totalGroups * share;
            modelCoverage = share;
            coverage = share;
        }

        var calls = (long)Math.Ceiling(groupsDone / Math.Max(1, rates.GroupsPerCall));
        var input = (long)Math.Round(calls * rates.InputTokensPerCall);
        var output = (long)Math.Round(groupsDone * rates.OutputTokensPerGroup);
        bool? before = untilDeadline is { } until ? duration <= until && coverage >= 1 : null;
        return new PersonalizerEstimate(personalizer, Seconds(duration), calls, input, output, prices?.CostOf(input, output),
            Math.Clamp(modelCoverage, 0, 1), Math.Clamp(coverage, 0, 1), before, totalGroups, rates.IsMeasured) { RatesOrigin = rates.Origin };
    }

    /// <summary>
    /// The plan to offer first: rule-based without a model; the model when it covers everyone before the lock;
    /// hybrid when it cannot.
    /// </summary>
    public static string DefaultPersonalizer(bool modelConfigured, bool modelAvailable, PersonalizerEstimate? llm)
    {
        if (!modelConfigured || !modelAvailable || llm is null)
        {
            return PersonalizerNames.RuleBased;
        }
        return llm.ModelCoverage >= 1 && llm.FinishesBeforeDeadline != false ? PersonalizerNames.Llm : PersonalizerNames.Hybrid;
    }

    private static TimeSpan Seconds(double seconds) =>
        seconds >= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.MaxValue / 2 : TimeSpan.FromSeconds(Math.Ceiling(seconds));
}

/// <summary>The three estimates the modal shows, and the plan it offers first.</summary>
/// <param name="Estimates">One per personalizer (only rule-based without a model).</param>
/// <param name="DefaultPersonalizer">The plan chosen by default.</param>
/// <param name="Groups">The fact-group estimate they share.</param>
public sealed record PlanChoices(IReadOnlyList<PersonalizerEstimate> Estimates, string DefaultPersonalizer, FactGroupEstimate Groups)
{
    /// <summary>The estimate of <paramref name="personalizer"/>; null when not offered.</summary>
    public PersonalizerEstimate? For(string personalizer) => Estimates.FirstOrDefault(e => e.Personalizer == personalizer);
}

/// <summary>Makes <see cref="PlanChoices"/> for a campaign from its audience size and a sample of it.</summary>
public sealed class PlanChoicesService(
    RunPersonalizerFactory personalizers,
    ModelRatesSource rates,
    ExpectedThroughput throughput,
    IOptionsMonitor<PersonalizationOptions> options,
    IOptionsMonitor<LlmPersonalizerOptions> llmOptions,
    TimeProvider time)
{
    /// <summary>
    /// The choices for <paramref name="recipients"/> contacts, <paramref name="messages"/> messages and
    /// <paramref name="sendTime"/> (null for a Draft). The model's rates come from earlier runs, else from
    /// <paramref name="preview"/> (the samples' model calls), else the cautious default.
    /// </summary>
    public async Task<PlanChoices> ChooseAsync(
        long recipients, int messages, DateTimeOffset? sendTime, IReadOnlyCollection<KlaviyoProfile> sample, CancellationToken cancellationToken, PreviewModelCalls? preview = null)
    {
        var inputs = new PlanInputs(recipients, messages, time.GetUtcNow(), sendTime, throughput.ContactsPerSecond, personalizers.ReserveFor(recipients));
        var groups = FactGroupEstimate.FromSample(sample, recipients);
        var modelRates = await rates.CurrentAsync(cancellationToken);
        if (modelRates.Origin == ModelRatesOrigin.Default && ModelRates.FromPreview(preview, llmOptions.CurrentValue.GroupsPerCall) is { } previewed)
        {
            modelRates = previewed;
        }
        var prices = llmOptions.CurrentValue;
        var available = personalizers.ModelAvailable;
        var estimates = new List<PersonalizerEstimate>();
        if (available)
        {
            estimates.Add(PlanEstimator.Estimate(PersonalizerNames.Hybrid, inputs, groups, modelRates, prices));
            estimates.Add(PlanEstimator.Estimate(PersonalizerNames.Llm, inputs, groups, modelRates, prices));
        }
        estimates.Add(PlanEstimator.Estimate(PersonalizerNames.RuleBased, inputs, groups, modelRates, prices));
        var configured = options.CurrentValue.Personalizer == LlmPersonalizer.PersonalizerName;
        var chosen = PlanEstimator.DefaultPersonalizer(configured, available, estimates.FirstOrDefault(e => e.Personalizer == PersonalizerNames.Llm));
        return new PlanChoices(estimates, chosen, groups);
    }
}
