using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>One profile of a bulk import, already validated by the endpoint.</summary>
public sealed record ProfileImportEntry(long? Index, string? Email, Action<SandboxProfile> Apply);

public sealed record ImportErrorRecord(string Id, string Code, string Title, string Detail, string Pointer, JsonObject OriginalPayload);

/// <summary>
/// An asynchronous profile bulk import job: queued for the first half of ImportJobDelay, processing for the second,
/// then complete; its writes land when it completes, as in Klaviyo where a profile read during the job sees old values.
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

    public string StatusAt(DateTimeOffset now) =>
        now - CreatedAt >= Delay ? "complete" : now - CreatedAt >= Delay / 2 ? "processing" : "queued";

    public DateTimeOffset StartedAt => CreatedAt + Delay / 2;
    public DateTimeOffset CompletedAt => CreatedAt + Delay;

    internal bool Applied { get; set; }
}

public sealed partial class SandboxStore
{
    private readonly ConcurrentDictionary<string, SandboxImportJob> _importJobs = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<ITimer> _timers = [];

    internal SandboxImportJob CreateImportJob(IReadOnlyList<ProfileImportEntry> entries, IReadOnlyList<ImportErrorRecord> errors, IReadOnlyList<string> listIds)
    {
        var job = new SandboxImportJob { Id = NewId(), CreatedAt = Now, Delay = ImportJobDelay, Entries = entries, Errors = errors, ListIds = listIds };
        _importJobs[job.Id] = job;
        if (job.Delay <= TimeSpan.Zero)
        {
            Complete(job);
        }
        else
        {
            // Complete on time even if nobody polls; reads also complete it lazily in case the timer is late.
            _timers.Add(TimeProvider.CreateTimer(_ => Complete(job), null, job.Delay, Timeout.InfiniteTimeSpan));
        }
        return job;
    }

    public SandboxImportJob? GetImportJob(string id)
    {
        if (!_importJobs.TryGetValue(id, out var job))
        {
            return null;
        }
        if (job.StatusAt(Now) == "complete")
        {
            Complete(job);
        }
        return job;
    }

    public IReadOnlyList<SandboxImportJob> GetImportJobs() =>
        _importJobs.Values.Select(j => GetImportJob(j.Id)!).OrderBy(j => j.CreatedAt).ThenBy(j => j.Id, StringComparer.Ordinal).ToList();

    private void Complete(SandboxImportJob job)
    {
        // A reader that sees "complete" must also see the writes, so it waits here for a timer that is applying them.
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
