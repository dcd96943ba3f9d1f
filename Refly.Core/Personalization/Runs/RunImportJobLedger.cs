using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>Records the set-jobs each run submits and how they ended (<see cref="RunImportJob"/>).</summary>
public sealed class RunImportJobLedger(IDbContextFactory<ReflyDbContext> contextFactory, TimeProvider time)
{
    /// <summary>The job's state for a Klaviyo status: null while it may still write (queued, processing).</summary>
    public static RunImportJobState? TerminalStateOf(string status) => status switch
    {
        "complete" => RunImportJobState.Complete,
        "failed" => RunImportJobState.Failed,
        "cancelled" => RunImportJobState.Cancelled,
        "expired" => RunImportJobState.Expired,
        _ => null,
    };

    /// <summary>Records a job Klaviyo accepted for <paramref name="runId"/>.</summary>
    public async Task RecordSubmittedAsync(Guid runId, string jobId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        db.RunImportJobs.Add(new RunImportJob { JobId = jobId, RunId = runId, State = RunImportJobState.Submitted, SubmittedAt = time.GetUtcNow() });
        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>Records that the job ended (a no-op for a job never recorded, e.g. a clean-up's own unset job).</summary>
    public async Task RecordFinishedAsync(string jobId, RunImportJobState state, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.RunImportJobs.Where(j => j.JobId == jobId)
            .ExecuteUpdateAsync(u => u.SetProperty(j => j.State, state), cancellationToken);
    }

    /// <summary>The run's set-jobs not yet seen ending, oldest first.</summary>
    public async Task<List<string>> UnfinishedAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.RunImportJobs.AsNoTracking()
            .Where(j => j.RunId == runId && j.State == RunImportJobState.Submitted)
            .OrderBy(j => j.SubmittedAt)
            .Select(j => j.JobId)
            .ToListAsync(cancellationToken);
    }
}
