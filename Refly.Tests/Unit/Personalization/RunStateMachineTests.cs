using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class RunStateMachineTests
{
    private static readonly (RunState From, RunState To)[] _legal =
    [
        (RunState.Queued, RunState.InProgress),
        (RunState.Queued, RunState.Failed),
        (RunState.Queued, RunState.Cancelling),
        (RunState.InProgress, RunState.Completed),
        (RunState.InProgress, RunState.Failed),
        (RunState.InProgress, RunState.Cancelling),
        (RunState.Cancelling, RunState.Cancelled),
        (RunState.Cancelling, RunState.Failed),
    ];

    public static TheoryData<RunState, RunState> LegalTransitions()
    {
        var data = new TheoryData<RunState, RunState>();
        foreach (var (from, to) in _legal)
        {
            data.Add(from, to);
        }

        return data;
    }

    public static TheoryData<RunState, RunState> IllegalTransitions()
    {
        var data = new TheoryData<RunState, RunState>();
        foreach (var from in Enum.GetValues<RunState>())
        {
            foreach (var to in Enum.GetValues<RunState>())
            {
                if (!_legal.Contains((from, to)))
                {
                    data.Add(from, to);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LegalTransitions))]
    public void Transition_Legal_IsAllowed(RunState from, RunState to)
    {
        Assert.True(RunStateMachine.CanTransition(from, to));
        RunStateMachine.EnsureCanTransition(from, to);
    }

    [Theory]
    [MemberData(nameof(IllegalTransitions))]
    public void Transition_Illegal_IsRefused(RunState from, RunState to)
    {
        Assert.False(RunStateMachine.CanTransition(from, to));
        var ex = Assert.Throws<InvalidRunTransitionException>(() => RunStateMachine.EnsureCanTransition(from, to));
        Assert.Equal(from, ex.From);
        Assert.Equal(to, ex.To);
        Assert.Contains($"{from} -> {to}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transitions_AllPairsCovered_ThirtySixInAll()
    {
        var states = Enum.GetValues<RunState>().Length;
        Assert.Equal(states * states, LegalTransitions().Count + IllegalTransitions().Count);
        Assert.Equal(8, LegalTransitions().Count);
    }

    [Fact]
    public void Transition_CancellingToCompleted_IsRefused()
    {
        var ex = Assert.Throws<InvalidRunTransitionException>(
            () => RunStateMachine.EnsureCanTransition(RunState.Cancelling, RunState.Completed));
        Assert.Equal("Illegal personalization run transition Cancelling -> Completed: from Cancelling a run may only move to Failed, Cancelled.", ex.Message);
    }

    [Fact]
    public void Transition_FromTerminal_MessageSaysStartANewRun()
    {
        var ex = Assert.Throws<InvalidRunTransitionException>(
            () => RunStateMachine.EnsureCanTransition(RunState.Cancelled, RunState.Queued));
        Assert.Contains("Cancelled is terminal; start a new run instead", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Transition_UndefinedEnumValue_IsRefused()
    {
        Assert.False(RunStateMachine.CanTransition((RunState)42, RunState.Queued));
        Assert.False(RunStateMachine.CanTransition(RunState.Queued, (RunState)(-1)));
    }

    [Theory]
    [InlineData(RunState.Queued, true, false)]
    [InlineData(RunState.InProgress, true, false)]
    [InlineData(RunState.Cancelling, true, false)]
    [InlineData(RunState.Completed, false, true)]
    [InlineData(RunState.Failed, false, true)]
    [InlineData(RunState.Cancelled, false, true)]
    public void State_ActiveAndTerminal_AreComplementary(RunState state, bool active, bool terminal)
    {
        Assert.Equal(active, RunStateMachine.IsActive(state));
        Assert.Equal(terminal, RunStateMachine.IsTerminal(state));
    }

    [Theory]
    [InlineData(RunState.Queued, true)]
    [InlineData(RunState.InProgress, true)]
    [InlineData(RunState.Cancelling, false)]
    [InlineData(RunState.Completed, false)]
    public void CanCancel_OnlyQueuedOrInProgress(RunState state, bool expected) =>
        Assert.Equal(expected, RunStateMachine.CanCancel(state));

    [Fact]
    public void TerminalStates_HaveNoOutgoingTransitions()
    {
        foreach (var state in Enum.GetValues<RunState>())
        {
            Assert.Equal(RunStateMachine.IsTerminal(state), RunStateMachine.AllowedTargets(state).Count == 0);
        }
    }

    [Fact]
    public void RunState_Names_MatchTheApiContract()
    {
        Assert.Equal(
            ["Queued", "InProgress", "Completed", "Failed", "Cancelling", "Cancelled"],
            Enum.GetNames<RunState>());
        Assert.Equal(["Manual", "Tag"], Enum.GetNames<RunTrigger>());
    }
}
