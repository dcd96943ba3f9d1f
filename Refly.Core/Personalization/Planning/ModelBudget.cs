namespace Refly.Core.Personalization;

/// <summary>
/// Decides, fact group by fact group, whether the model can still write a group before the run's deadline (the
/// 15-minute edit lock before a Scheduled send) with the time the rest of the run needs kept in reserve. It starts
/// from an expected rate (<see cref="ModelRates"/>) and switches to the rate it measures once model work has been
/// done. Without a deadline (a Draft) every group is admitted. Thread-safe: the audience's readers share one budget.
/// </summary>
public sealed class ModelBudget
{
    private const int MinGroupsToMeasure = 4;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly double _expectedGroupsPerSecond;
    private long _admitted;
    private long _refused;
    private long _recorded;
    private DateTimeOffset? _firstAdmission;
    private DateTimeOffset? _lastRecord;

    /// <summary>Creates a budget.</summary>
    /// <param name="deadline">When the model must be done (the lock); null for no deadline.</param>
    /// <param name="expectedGroupsPerSecond">Groups a second to expect until measured.</param>
    /// <param name="reserve">Time kept back for the rest of the run (the rule-based contacts still have to reach Klaviyo).</param>
    /// <param name="time">The clock.</param>
    public ModelBudget(DateTimeOffset? deadline, double expectedGroupsPerSecond, TimeSpan reserve, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!(expectedGroupsPerSecond > 0) || double.IsInfinity(expectedGroupsPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(expectedGroupsPerSecond), expectedGroupsPerSecond, "Must be a positive number.");
        }
        Deadline = deadline;
        Reserve = reserve < TimeSpan.Zero ? TimeSpan.Zero : reserve;
        _expectedGroupsPerSecond = expectedGroupsPerSecond;
        _time = time;
    }

    /// <summary>A budget with no deadline: every group goes to the model.</summary>
    public static ModelBudget Unlimited(TimeProvider time) => new(null, 1, TimeSpan.Zero, time);

    /// <summary>When the model must be done; null for none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>Time kept back before <see cref="Deadline"/> for the rest of the run.</summary>
    public TimeSpan Reserve { get; }

    /// <summary>Groups given to the model.</summary>
    public long AdmittedGroups { get { lock (_lock) { return _admitted; } } }

    /// <summary>Groups given the rule-based copy because the model would not have finished them in time.</summary>
    public long RefusedGroups { get { lock (_lock) { return _refused; } } }

    /// <summary>Wall time from the first group given to the model to the last one finished (zero before).</summary>
    public TimeSpan ModelTime
    {
        get
        {
            lock (_lock)
            {
                return _firstAdmission is { } first && _lastRecord is { } last && last > first ? last - first : TimeSpan.Zero;
            }
        }
    }

    /// <summary>The rate used now: measured once enough groups finished, else the expected one.</summary>
    public double GroupsPerSecond
    {
        get
        {
            lock (_lock)
            {
                return RateUnlocked();
            }
        }
    }

    /// <summary>
    /// Whether the model can take one more group: its expected end (after the groups already admitted and not yet
    /// finished) plus <see cref="Reserve"/> is at or before <see cref="Deadline"/>. Once refused, later groups are too:
    /// a run never goes back to the model after its time ran out.
    /// </summary>
    public bool TryAdmit()
    {
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            if (Deadline is { } deadline)
            {
                if (_refused > 0)
                {
                    _refused++;
                    return false;
                }
                var outstanding = Math.Max(0, _admitted - _recorded) + 1;
                var end = now + TimeSpan.FromSeconds(outstanding / RateUnlocked());
                if (end + Reserve > deadline)
                {
                    _refused++;
                    return false;
                }
            }
            _firstAdmission ??= now;
            _admitted++;
            return true;
        }
    }

    /// <summary>Records that <paramref name="groups"/> admitted groups are finished (written, cached or failed).</summary>
    public void Record(int groups)
    {
        lock (_lock)
        {
            _recorded += groups;
            _lastRecord = _time.GetUtcNow();
        }
    }

    private double RateUnlocked()
    {
        if (_recorded >= MinGroupsToMeasure && _firstAdmission is { } first && _lastRecord is { } last && last > first)
        {
            return _recorded / (last - first).TotalSeconds;
        }
        return _expectedGroupsPerSecond;
    }
}
