namespace Refly.Core.Personalization;

/// <summary>
/// Whether a run has reverted its campaign to Draft for an edit and not yet scheduled it again (persisted by
/// <paramref name="RecordAsync"/>, read back as <paramref name="Reverted"/> after a restart).
/// </summary>
public sealed record RevertRecord(bool Reverted, Func<bool, CancellationToken, Task> RecordAsync);
