namespace Refly.Core.Personalization;

/// <summary>A request to personalize the selected messages of a campaign.</summary>
/// <param name="CampaignId">Klaviyo campaign id.</param>
/// <param name="MessageIds">Klaviyo ids of the messages to personalize.</param>
/// <param name="Trigger">Manual or Tag.</param>
/// <param name="StartedBy">User name (manual) or tag name (tag).</param>
public sealed record StartRunRequest(string CampaignId, IReadOnlyList<string> MessageIds, RunTrigger Trigger, string? StartedBy)
{
    /// <summary>
    /// <c>rule-based</c>, <c>llm</c> or <c>hybrid</c> (see <see cref="PersonalizerNames"/>); null for the default plan
    /// (<see cref="RunPersonalizerFactory.DefaultFor"/>).
    /// </summary>
    public string? Personalizer { get; init; }

    /// <summary>
    /// The brief to write with; it is saved as the campaign's brief when the run starts. Null uses the campaign's saved
    /// brief, else <see cref="CampaignBrief.Default"/>.
    /// </summary>
    public CampaignBrief? Brief { get; init; }

    /// <summary>
    /// Share of the audience held out as a control (0 to <see cref="Refly.Core.Impact.Holdouts.HoldoutSelector.MaxShare"/>):
    /// those contacts keep the original content. 0 holds nobody out.
    /// </summary>
    public double HoldoutShare { get; init; }
}
