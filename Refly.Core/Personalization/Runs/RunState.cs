namespace Refly.Core.Personalization;

/// <summary>
/// The life cycle of a personalization run. The names are part of the automation API's JSON and the UI;
/// transitions between them are decided only by <see cref="RunStateMachine"/>.
/// </summary>
public enum RunState
{
    /// <summary>Accepted, waiting for a worker to pick it up.</summary>
    Queued,

    /// <summary>Snapshotting, switching content, writing profile properties.</summary>
    InProgress,

    /// <summary>Every contact was processed and the import jobs finished.</summary>
    Completed,

    /// <summary>Stopped by an error (or by a clean-up that could not be finished); see the run's error.</summary>
    Failed,

    /// <summary>A cancel was requested: in-flight work is stopping and the original content is being restored.</summary>
    Cancelling,

    /// <summary>Cancelled and cleaned up: the campaign shows its original content again.</summary>
    Cancelled,
}

/// <summary>What started a run.</summary>
public enum RunTrigger
{
    /// <summary>A marketer confirmed the Personalize modal (or called the automation API).</summary>
    Manual,

    /// <summary>The campaign carries the personalization tag and was picked up by the tag poller.</summary>
    Tag,
}
