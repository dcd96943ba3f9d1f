namespace Refly.Core.Personalization;

/// <summary>
/// One personalization of a campaign's selected messages for its whole audience. Persisted after every state change
/// and every batch, so a run survives restarts and crashes (it resumes from <see cref="Checkpoint"/>).
/// </summary>
public sealed class PersonalizationRun
{
    public Guid Id { get; set; }

    /// <summary>Local campaign row id.</summary>
    public int CampaignId { get; set; }

    /// <summary>Klaviyo's campaign id (the automation API addresses campaigns by it).</summary>
    public required string CampaignKlaviyoId { get; set; }

    /// <summary>Klaviyo ids of the selected messages.</summary>
    public List<string> MessageIds { get; set; } = [];

    public RunTrigger Trigger { get; set; }

    /// <summary>Who started it: a user name for manual runs, the tag name for tag runs.</summary>
    public string? StartedBy { get; set; }

    public RunState State { get; set; }

    /// <summary>Estimated audience size (Klaviyo's recipient estimate, else the sum of list/segment counts).</summary>
    public long? TotalEstimate { get; set; }

    /// <summary>Distinct contacts read and personalized (not yet necessarily written).</summary>
    public long Processed { get; set; }

    /// <summary>Contacts whose bulk import job completed: this is the progress shown.</summary>
    public long Written { get; set; }

    /// <summary>Contacts an import job rejected.</summary>
    public long Failed { get; set; }

    /// <summary>Contacts held out (<see cref="HoldoutShare"/>): read, recorded, never written; the holdout's control group.</summary>
    public long HeldOut { get; set; }

    /// <summary>Share of the audience held out (0 to 0.5), fixed at the start; 0 for no holdout.</summary>
    public double HoldoutShare { get; set; }

    /// <summary>Contacts whose personalizer fell back to the original content.</summary>
    public long FellBack { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Why it failed, or what clean-up could not do; marketer-facing.</summary>
    public string? Error { get; set; }

    /// <summary>Why a completed run stopped before the whole audience (e.g. the send-time lock); null when it covered everyone.</summary>
    public string? StopReason { get; set; }

    /// <summary>
    /// The send time the run must meet, as it was when the run started; the run stops writing 15 minutes before it.
    /// Null for a Draft (its planned datetime is no deadline, see <see cref="SendTimeCheck.DeadlineOf"/>) and for no send time.
    /// </summary>
    public DateTimeOffset? SendTime { get; set; }

    /// <summary>Where the audience stream stands; advanced only once a batch is written.</summary>
    public RunCheckpoint Checkpoint { get; set; } = new();

    /// <summary>Original content of the selected messages, taken before anything was switched; restores use only this.</summary>
    public List<MessageSnapshot> Originals { get; set; } = [];

    /// <summary>
    /// The brief the run writes with, fixed at its start (the one it was started with, else the campaign's saved one), so
    /// a resumed run writes as it began even when the saved brief changed meanwhile; null for the default brief.
    /// </summary>
    public CampaignBrief? Brief { get; set; }

    /// <summary>True once the messages point at the personalized content (so clean-up knows to restore).</summary>
    public bool ContentSwitched { get; set; }

    /// <summary>True once clean-up (restore + property removal) finished, for cancelled and failed runs.</summary>
    public bool CleanedUp { get; set; }

    /// <summary>Share of the audience done (written, or held out on purpose) (0..1), from the final counts; null while unknown.</summary>
    public double? Coverage => TotalEstimate is > 0 ? Math.Min(1.0, (double)(Written + HeldOut) / TotalEstimate.Value) : null;
}
