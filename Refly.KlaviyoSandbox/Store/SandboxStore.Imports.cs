using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>One profile of a bulk import, already validated by the endpoint; <see cref="Sets"/> and <see cref="Unsets"/> name the custom properties it writes.</summary>
public sealed record ProfileImportEntry(long? Index, string? Email, Action<SandboxProfile> Apply)
{
    public IReadOnlyCollection<string> Sets { get; init; } = [];

    public IReadOnlyCollection<string> Unsets { get; init; } = [];
}

public sealed record ImportErrorRecord(string Id, string Code, string Title, string Detail, string Pointer, JsonObject OriginalPayload);

/// <summary>
/// An asynchronous profile bulk import job: queued for the first half of its <see cref="Delay"/>, processing for the
/// second, then complete when its own timer fires, whether or not anyone polls it; its writes land when it completes, as
/// in Klaviyo where a profile read during the job sees old values. Each job's delay varies around ImportJobDelay, so jobs
/// complete in an order that can differ from the order they were submitted in, as Klaviyo's do.
/// </summary>
public sealed class SandboxImportJob
{
    public required string Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required TimeSpan Delay { get; init; }
    public required IReadOnlyList<ProfileImportEntry> Entries { get; init; }
    public required IReadOnlyList<ImportErrorRecord> Errors { get; init; }
    public IReadOnlyList<string> ListIds { get; init; } = [];
    public int TotalCount => Entries.Count + Errors.Count;
    public List<string> ProfileIds { get; } = [];

    /// <summary>True when the job sets at least one custom property whose name starts with <paramref name="prefix"/>.</summary>
    public bool SetsPropertyStartingWith(string prefix) =>
        Entries.Any(e => e.Sets.Any(name => name.StartsWith(prefix, StringComparison.Ordinal)));

    /// <summary>True when the job unsets at least one custom property.</summary>
    public bool Unsets => Entries.Any(e => e.Unsets.Count > 0);

    /// <summary>"complete" only once its writes have landed (its timer fired and no hold keeps it), else by elapsed time.</summary>
    public string StatusAt(DateTimeOffset now) =>
        Applied ? "complete" : now >= StartedAt ? "processing" : "queued";

    public bool IsComplete => Applied;

    public DateTimeOffset StartedAt => CreatedAt + Delay / 2;

    /// <summary>When its writes landed; null while queued or processing.</summary>
    public DateTimeOffset? CompletedAt { get; internal set; }

    internal bool Applied { get; set; }
}

public sealed partial class SandboxStore
{
    /// <summary>How far a job's delay varies around ImportJobDelay: 75% to 125% of it.</summary>
    public const double ImportJobDelaySpread = 0.25;

    private readonly ConcurrentDictionary<string, SandboxImportJob> _importJobs = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<ITimer> _timers = [];
    private readonly Lock _importHoldsGate = new();
    private SandboxImportHold[] _importHolds = [];

    internal SandboxImportJob CreateImportJob(IReadOnlyList<ProfileImportEntry> entries, IReadOnlyList<ImportErrorRecord> errors, IReadOnlyList<string> listIds)
    {
        var job = new SandboxImportJob { Id = NewId(), CreatedAt = Now, Delay = NextImportDelay(), Entries = entries, Errors = errors, ListIds = listIds };
        _importJobs[job.Id] = job;
        if (job.Delay <= TimeSpan.Zero)
        {
            TryComplete(job);
        }
        else
        {
            // Completes on its own clock, never because someone polls.
            _timers.Add(TimeProvider.CreateTimer(_ => TryComplete(job), null, job.Delay, Timeout.InfiniteTimeSpan));
        }
        return job;
    }

    public SandboxImportJob? GetImportJob(string id) => _importJobs.TryGetValue(id, out var job) ? job : null;

    public IReadOnlyList<SandboxImportJob> GetImportJobs() =>
        _importJobs.Values.OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal).ToList();

    /// <summary>
    /// Keeps every import job that <paramref name="jobs"/> matches "processing" past its own completion time, until the
    /// hold is released or disposed (then each completes at once, or on its own time if that has not come yet): a Klaviyo
    /// whose import jobs complete late and out of order, for tests that need a job still running at a known point.
    /// </summary>
    public SandboxImportHold HoldImportCompletion(Func<SandboxImportJob, bool> jobs)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        var hold = new SandboxImportHold(jobs, Release);
        lock (_importHoldsGate)
        {
            _importHolds = [.. _importHolds, hold];
        }
        return hold;
    }

    private void Release(SandboxImportHold hold, IReadOnlyList<SandboxImportJob> held)
    {
        lock (_importHoldsGate)
        {
            _importHolds = [.. _importHolds.Where(h => h != hold)];
        }
        foreach (var job in held)
        {
            TryComplete(job);
        }
    }

    private TimeSpan NextImportDelay()
    {
        var delay = ImportJobDelay;
        if (delay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }
        double factor;
        lock (_dice)
        {
            factor = 1 - ImportJobDelaySpread + (2 * ImportJobDelaySpread * _dice.NextDouble());
        }
        return TimeSpan.FromTicks((long)(delay.Ticks * factor));
    }

    private void TryComplete(SandboxImportJob job)
    {
        foreach (var hold in Volatile.Read(ref _importHolds))
        {
            if (hold.TryKeep(job))
            {
                return;
            }
        }
        Complete(job);
    }

    private void Complete(SandboxImportJob job)
    {
        // A reader that sees "complete" must also see the writes, so the status flips only after they are applied.
        lock (job.ProfileIds)
        {
            if (job.Applied)
            {
                return;
            }
            foreach (var entry in job.Entries)
            {
                var id = UpsertProfile(entry.Index, entry.Email, entry.Apply);
                job.ProfileIds.Add(id);
                if (job.ListIds.Count > 0 && ProfileGenerator.TryParseId(id, out var index))
                {
                    foreach (var group in job.ListIds.Select(GetGroup).OfType<SandboxGroup>())
                    {
                        AddMember(group, index);
                    }
                }
            }
            job.CompletedAt = Now;
            job.Applied = true;
        }
    }

    internal void DisposeTimers()
    {
        foreach (var timer in _timers)
        {
            timer.Dispose();
        }
    }
}

/// <summary>An active <see cref="SandboxStore.HoldImportCompletion"/>; dispose (or <see cref="Release"/>) to let the held jobs complete.</summary>
public sealed class SandboxImportHold : IDisposable
{
    private readonly Func<SandboxImportJob, bool> _jobs;
    private readonly Action<SandboxImportHold, IReadOnlyList<SandboxImportJob>> _release;
    private readonly List<SandboxImportJob> _held = [];
    private bool _released;

    internal SandboxImportHold(Func<SandboxImportJob, bool> jobs, Action<SandboxImportHold, IReadOnlyList<SandboxImportJob>> release)
    {
        _jobs = jobs;
        _release = release;
    }

    /// <summary>Jobs whose completion time has come and that this hold keeps processing right now.</summary>
    public int Held
    {
        get
        {
            lock (_held)
            {
                return _held.Count;
            }
        }
    }

    internal bool TryKeep(SandboxImportJob job)
    {
        lock (_held)
        {
            if (_released || !_jobs(job))
            {
                return false;
            }
            _held.Add(job);
            return true;
        }
    }

    public void Release()
    {
        List<SandboxImportJob> held;
        lock (_held)
        {
            if (_released)
            {
                return;
            }
            _released = true;
            held = [.. _held];
            _held.Clear();
        }
        _release(this, held);
    }

    public void Dispose() => Release();
}
