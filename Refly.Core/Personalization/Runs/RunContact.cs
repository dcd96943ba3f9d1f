namespace Refly.Core.Personalization;

/// <summary>What the run did with one contact: the de-duplication set, the exclusion set and the clean-up list.</summary>
public sealed class RunContact
{
    public Guid RunId { get; set; }

    public required string ProfileId { get; set; }

    /// <summary>Kept so clean-up can address the profile the way the import did.</summary>
    public string? Email { get; set; }

    public RunContactState State { get; set; }
}

/// <summary>Where one contact of a run stands.</summary>
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

    /// <summary>
    /// In the run's holdout (<see cref="Refly.Core.Impact.Holdouts.HoldoutSelector"/>): keeps the original content, so no
    /// property is ever written for it; the control group of the holdout comparison.
    /// </summary>
    HeldOut = 6,
}
