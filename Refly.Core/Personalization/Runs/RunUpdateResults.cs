namespace Refly.Core.Personalization;

/// <summary>
/// The one answer to "is the run still in progress?" after a guarded <see cref="RunStore.UpdateAsync(Guid, IReadOnlyCollection{RunState}, Action{PersonalizationRun}, CancellationToken)"/>:
/// a null result means the run left the expected state (cancelled, failed, taken over), and the work stops there.
/// </summary>
public static class RunUpdateResults
{
    /// <summary>The updated run; <see cref="OperationCanceledException"/> when the run was no longer in the expected state.</summary>
    public static async Task<PersonalizationRun> OrStopWhenNotInProgress(this Task<PersonalizationRun?> update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return await update.ConfigureAwait(false) ?? throw new OperationCanceledException("The run left InProgress.");
    }
}
