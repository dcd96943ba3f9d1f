namespace Refly.Core.Campaigns;

/// <summary>The latest campaign sync's outcome, for the dashboard's connection banner and /health.</summary>
public sealed class SyncStatus
{
    private readonly Lock _gate = new();

    public DateTimeOffset? LastSuccessAt { get; private set; }

    public DateTimeOffset? LastFailureAt { get; private set; }

    /// <summary>The marketer-facing reason of the last failure; null once a later sync succeeds.</summary>
    public string? LastError { get; private set; }

    /// <summary>Whether any sync has finished (either way) since start.</summary>
    public bool HasCompleted => LastSuccessAt is not null || LastFailureAt is not null;

    internal void RecordSuccess(DateTimeOffset at)
    {
        lock (_gate)
        {
            LastSuccessAt = at;
            LastError = null;
        }
    }

    internal void RecordFailure(DateTimeOffset at, string error)
    {
        lock (_gate)
        {
            LastFailureAt = at;
            LastError = error;
        }
    }
}
