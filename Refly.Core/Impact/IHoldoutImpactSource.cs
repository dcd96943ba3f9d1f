namespace Refly.Core.Impact;

/// <summary>Personalized vs holdout results of a campaign's runs, read from Klaviyo's events (the holdout feature).</summary>
public interface IHoldoutImpactSource
{
    /// <summary>The comparison, or null when no run of the campaign held contacts out or no events are read yet.</summary>
    Task<HoldoutImpact?> GetAsync(string campaignKlaviyoId, CancellationToken cancellationToken);
}
