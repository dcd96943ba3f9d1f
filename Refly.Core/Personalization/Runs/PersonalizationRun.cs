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

    /// <summary>True once the messages point at the personalized content (so clean-up knows to restore).</summary>
    public bool ContentSwitched { get; set; }

    /// <summary>True once clean-up (restore + property removal) finished, for cancelled and failed runs.</summary>
    public bool CleanedUp { get; set; }

    /// <summary>Share of the audience written (0..1), from the final counts; null while unknown.</summary>
    public double? Coverage => TotalEstimate is > 0 ? Math.Min(1.0, (double)Written / TotalEstimate.Value) : null;
}

/// <summary>Where the audience stream of a run stands.</summary>
public sealed class RunCheckpoint
{
    /// <summary>Excluded lists/segments have all been read into the run's exclusion set.</summary>
    public bool ExclusionsLoaded { get; set; }

    /// <summary>One entry per included list or segment, in audience order.</summary>
    public List<SourceCheckpoint> Sources { get; set; } = [];

    /// <summary>Completed batches.</summary>
    public int BatchNumber { get; set; }

    /// <summary>Clean-up has restored the messages' original content (or found nothing to restore).</summary>
    public bool ContentRestored { get; set; }

    /// <summary>
    /// The switch of the messages has begun: some may be switched even though <see cref="PersonalizationRun.ContentSwitched"/>
    /// is not saved yet (a cancel or a crash mid-switch), so a clean-up must restore them.
    /// </summary>
    public bool SwitchStarted { get; set; }

    /// <summary>The run reverted its Scheduled campaign to Draft for an edit and has not scheduled it again yet.</summary>
    public bool CampaignReverted { get; set; }
}

/// <summary>Progress through one included list or segment.</summary>
public sealed class SourceCheckpoint
{
    public required string GroupId { get; set; }

    /// <summary>"list" or "segment".</summary>
    public required string Kind { get; set; }

    /// <summary>Start of this stream's joined_group_at window (inclusive); null for the beginning.</summary>
    public DateTimeOffset? JoinedFrom { get; set; }

    /// <summary>End of this stream's joined_group_at window (exclusive): the run's start, or the next window's start.</summary>
    public DateTimeOffset? JoinedBefore { get; set; }

    /// <summary>Cursor of the next page to read; null with <see cref="Done"/> false means the first page.</summary>
    public string? Cursor { get; set; }

    public bool Done { get; set; }
}

/// <summary>A message's content before the run switched it.</summary>
public sealed class MessageSnapshot
{
    public required string MessageId { get; set; }

    public string? Label { get; set; }

    public required string Subject { get; set; }

    public string? PreviewText { get; set; }

    public string? TemplateId { get; set; }

    public string? TemplateHtml { get; set; }

    /// <summary>The clone holding the personalized block, assigned to the message while the run is in effect.</summary>
    public string? PersonalizedTemplateId { get; set; }
}

/// <summary>Audit trail: who or what started, cancelled, finished or failed a run, and when.</summary>
public sealed class RunEvent
{
    public long Id { get; set; }

    public Guid RunId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Kind { get; set; }

    public required string Message { get; set; }

    public string? Actor { get; set; }
}

/// <summary>What the run did with one contact: the de-duplication set, the exclusion set and the clean-up list.</summary>
public sealed class RunContact
{
    public Guid RunId { get; set; }

    public required string ProfileId { get; set; }

    /// <summary>Kept so clean-up can address the profile the way the import did.</summary>
    public string? Email { get; set; }

    public RunContactState State { get; set; }
}

public enum RunContactState
{
    /// <summary>In an excluded list/segment: never written.</summary>
    Excluded = 0,

    /// <summary>Read and sent in a batch whose import job has not been confirmed.</summary>
    Pending = 1,

    /// <summary>The import job completed for this contact.</summary>
    Written = 2,

    /// <summary>The import job rejected this contact.</summary>
    Failed = 3,

    /// <summary>Clean-up removed the run's properties.</summary>
    Removed = 4,

    /// <summary>
    /// Pending when the process stopped: its import job may or may not have run. Claimed again (and written again)
    /// when its page is read again; a clean-up removes its properties either way.
    /// </summary>
    Unconfirmed = 5,
}
