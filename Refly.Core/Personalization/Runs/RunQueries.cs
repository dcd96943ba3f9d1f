using System.Linq.Expressions;

namespace Refly.Core.Personalization;

/// <summary>
/// The database side of <see cref="RunStateMachine"/>'s rules: the one "active run" filter and the one "still has
/// work" filter, so every query asks them the same way.
/// </summary>
public static class RunQueries
{
    /// <summary>The states <see cref="RunStateMachine.IsActive"/> calls active, as a list the database can test.</summary>
    private static readonly RunState[] ActiveStates =
        Enum.GetValues<RunState>().Where(RunStateMachine.IsActive).ToArray();

    /// <summary>Runs that still own their campaign (Queued, InProgress, Cancelling).</summary>
    public static IQueryable<PersonalizationRun> Active(this IQueryable<PersonalizationRun> runs) =>
        runs.Where(r => ActiveStates.Contains(r.State));

    /// <summary>Runs with something left to do: active ones, and failed ones whose clean-up did not finish.</summary>
    public static IQueryable<PersonalizationRun> NeedingWork(this IQueryable<PersonalizationRun> runs) =>
        runs.Where(r => ActiveStates.Contains(r.State) || (r.State == RunState.Failed && !r.CleanedUp));

    /// <summary>The in-memory twin of <see cref="NeedingWork"/>, for a run already loaded.</summary>
    public static bool NeedsWork(PersonalizationRun run) =>
        RunStateMachine.IsActive(run.State) || run is { State: RunState.Failed, CleanedUp: false };
}
