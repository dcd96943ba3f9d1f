namespace Refly.Core.Impact;

/// <summary>Where a campaign's impact numbers came from.</summary>
public enum ImpactSource
{
    /// <summary>Klaviyo's campaign values report (query_campaign_values), per campaign message.</summary>
    Reporting,

    /// <summary>Klaviyo's events (get_events) joined with the run's contacts: personalized vs holdout.</summary>
    Events,
}

/// <summary>One campaign message's results and whether Refly personalized it.</summary>
/// <param name="MessageId">The campaign message.</param>
/// <param name="Label">What the marketer calls it (the message's label or subject).</param>
/// <param name="Personalized">True when a run of the campaign personalized this message.</param>
/// <param name="Rates">The message's recipients and rates.</param>
public sealed record MessageImpact(string MessageId, string Label, bool Personalized, ImpactRates Rates);

/// <summary>A point of the cumulative chart: rates reached by <paramref name="At"/> in each group.</summary>
public sealed record ImpactTimelinePoint(DateTimeOffset At, double PersonalizedOpenRate, double ControlOpenRate, double PersonalizedClickRate, double ControlClickRate);

/// <summary>Personalized contacts vs the run's holdout (contacts that kept the original content).</summary>
/// <param name="Personalized">Recipients who received personalized content.</param>
/// <param name="Control">Recipients held out.</param>
/// <param name="Lift">Personalized over control, per metric.</param>
/// <param name="Timeline">Cumulative open and click rates over the send window, oldest first.</param>
public sealed record HoldoutImpact(ImpactRates Personalized, ImpactRates Control, IReadOnlyList<MetricLift> Lift, IReadOnlyList<ImpactTimelinePoint> Timeline)
{
    /// <summary>The holdout comparison of two groups, with its lift.</summary>
    public static HoldoutImpact Of(ImpactRates personalized, ImpactRates control, IReadOnlyList<ImpactTimelinePoint>? timeline = null) =>
        new(personalized, control, LiftCalculator.Compare(personalized, control), timeline ?? []);
}

/// <summary>
/// Did personalization work for a campaign: each message's numbers (A/B campaigns: personalized messages vs the
/// others), the holdout comparison when the run held contacts out, and the headline lift.
/// </summary>
/// <param name="CampaignKlaviyoId">The campaign.</param>
/// <param name="Messages">Per message, from Klaviyo's report.</param>
/// <param name="Holdout">Personalized vs holdout, null when the run held nobody out (or events are not read yet).</param>
/// <param name="FetchedAt">When Klaviyo was last asked.</param>
/// <param name="NextRefreshAt">When Refly asks again (schedule or the reporting budget), null when it is done.</param>
public sealed record CampaignImpact(
    string CampaignKlaviyoId, IReadOnlyList<MessageImpact> Messages, HoldoutImpact? Holdout, DateTimeOffset FetchedAt, DateTimeOffset? NextRefreshAt)
{
    /// <summary>The personalized messages summed against the other messages; empty unless both kinds exist.</summary>
    public IReadOnlyList<MetricLift> MessageLift =>
        Messages.Any(m => m.Personalized) && Messages.Any(m => !m.Personalized)
            ? LiftCalculator.Compare(ImpactRates.Sum(Messages.Where(m => m.Personalized).Select(m => m.Rates)), ImpactRates.Sum(Messages.Where(m => !m.Personalized).Select(m => m.Rates)))
            : [];

    /// <summary>The headline lift: the holdout's when there is one (a true control), else the A/B messages'.</summary>
    public IReadOnlyList<MetricLift> Lift => Holdout?.Lift ?? MessageLift;

    /// <summary>Where the headline lift comes from.</summary>
    public ImpactSource Source => Holdout is null ? ImpactSource.Reporting : ImpactSource.Events;
}
