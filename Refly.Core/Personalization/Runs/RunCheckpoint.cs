namespace Refly.Core.Personalization;

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

    /// <summary>
    /// Clean-up has removed the restored messages' properties from the contacts of the campaign's earlier runs (which
    /// no message references once the originals are back).
    /// </summary>
    public bool EarlierPropertiesRemoved { get; set; }

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
