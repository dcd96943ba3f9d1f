namespace Refly.Core.Personalization;

/// <summary>
/// The one place where run state transitions are decided. Legal transitions:
/// <list type="bullet">
/// <item><c>Queued → InProgress</c>, <c>InProgress → Completed</c>, <c>InProgress → Failed</c>;</item>
/// <item><c>Queued → Failed</c> (e.g. the send time passed before a worker picked the run up);</item>
/// <item><c>Queued → Cancelling</c>, <c>InProgress → Cancelling</c>, <c>Cancelling → Cancelled</c>;</item>
/// <item><c>Cancelling → Failed</c>: the clean-up (restoring the original content, removing the run's properties)
/// failed permanently after its retries. Without it such a run would stay active forever and block every later
/// run of the campaign; <c>Cancelled</c> would claim a restore that did not happen. The run's error says what is left.</item>
/// </list>
/// Everything else, including staying in the same state and leaving a terminal state, is illegal:
/// "personalize again" creates a new run.
/// </summary>
public static class RunStateMachine
{
    // Indexed by (int)from * StateCount + (int)to; a flat table keeps the check allocation-free.
    private static readonly int _stateCount = Enum.GetValues<RunState>().Length;
    private static readonly bool[] _allowed = BuildTable();

    /// <summary>Whether a run in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanTransition(RunState from, RunState to)
    {
        var f = (int)from;
        var t = (int)to;
        if ((uint)f >= (uint)_stateCount || (uint)t >= (uint)_stateCount)
        {
            return false;
        }

        return _allowed[(f * _stateCount) + t];
    }

    /// <summary>Throws <see cref="InvalidRunTransitionException"/> unless <see cref="CanTransition"/> allows the move.</summary>
    /// <exception cref="InvalidRunTransitionException">The transition is illegal.</exception>
    public static void EnsureCanTransition(RunState from, RunState to)
    {
        if (!CanTransition(from, to))
        {
            throw new InvalidRunTransitionException(from, to);
        }
    }

    /// <summary>The states <paramref name="from"/> may move to, in enum order.</summary>
    public static IReadOnlyList<RunState> AllowedTargets(RunState from)
    {
        var targets = new List<RunState>(3);
        foreach (var to in Enum.GetValues<RunState>())
        {
            if (CanTransition(from, to))
            {
                targets.Add(to);
            }
        }

        return targets;
    }

    /// <summary>
    /// Queued, InProgress and Cancelling: the run still owns the campaign (at most one active run per campaign,
    /// and a new run cannot start while one is active).
    /// </summary>
    public static bool IsActive(RunState state) => state is RunState.Queued or RunState.InProgress or RunState.Cancelling;

    /// <summary>Completed, Failed and Cancelled: nothing more happens to the run.</summary>
    public static bool IsTerminal(RunState state) => state is RunState.Completed or RunState.Failed or RunState.Cancelled;

    /// <summary>Whether a cancel request is accepted in this state (it moves the run to Cancelling).</summary>
    public static bool CanCancel(RunState state) => CanTransition(state, RunState.Cancelling);

    private static bool[] BuildTable()
    {
        var table = new bool[_stateCount * _stateCount];
        void Allow(RunState from, RunState to) => table[((int)from * _stateCount) + (int)to] = true;

        Allow(RunState.Queued, RunState.InProgress);
        Allow(RunState.Queued, RunState.Failed);
        Allow(RunState.Queued, RunState.Cancelling);
        Allow(RunState.InProgress, RunState.Completed);
        Allow(RunState.InProgress, RunState.Failed);
        Allow(RunState.InProgress, RunState.Cancelling);
        Allow(RunState.Cancelling, RunState.Cancelled);
        Allow(RunState.Cancelling, RunState.Failed);
        return table;
    }
}

/// <summary>An attempt to move a run between two states that <see cref="RunStateMachine"/> does not allow.</summary>
public sealed class InvalidRunTransitionException : InvalidOperationException
{
    /// <summary>Creates the exception for the refused move <paramref name="from"/> → <paramref name="to"/>.</summary>
    public InvalidRunTransitionException(RunState from, RunState to)
        : base(BuildMessage(from, to))
    {
        From = from;
        To = to;
    }

    /// <summary>The state the run was in.</summary>
    public RunState From { get; }

    /// <summary>The refused target state.</summary>
    public RunState To { get; }

    private static string BuildMessage(RunState from, RunState to)
    {
        var allowed = RunStateMachine.AllowedTargets(from);
        var hint = allowed.Count == 0
            ? $"{from} is terminal; start a new run instead"
            : $"from {from} a run may only move to {string.Join(", ", allowed)}";
        return $"Illegal personalization run transition {from} -> {to}: {hint}.";
    }
}
