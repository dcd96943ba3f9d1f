using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// A profile bulk import job that a run submitted to set its properties. Klaviyo runs these asynchronously and completes
/// them whether or not anyone polls, so a clean-up waits for every one of them to end before it unsets the properties:
/// otherwise a job still processing writes them again after the unset.
/// </summary>
public sealed class RunImportJob
{
    /// <summary>Klaviyo's job id.</summary>
    public required string JobId { get; set; }

    public Guid RunId { get; set; }

    public RunImportJobState State { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }
}

/// <summary>Where a set-job stands as far as the run knows; every state but <see cref="Submitted"/> is terminal.</summary>
public enum RunImportJobState
{
    /// <summary>Accepted by Klaviyo and not yet seen ending: it may still write.</summary>
    Submitted = 0,

    Complete = 1,

    Failed = 2,

    Cancelled = 3,

    /// <summary>Klaviyo no longer knows the job (it expired or was removed): it will not write any more.</summary>
    Expired = 4,
}

internal sealed class RunImportJobConfiguration : IEntityTypeConfiguration<RunImportJob>
{
    public void Configure(EntityTypeBuilder<RunImportJob> builder)
    {
        builder.ToTable("RunImportJobs");
        builder.HasKey(j => j.JobId);
        builder.Property(j => j.JobId).HasMaxLength(64);
        builder.Property(j => j.State).HasConversion<string>().HasMaxLength(16);
        builder.HasIndex(j => new { j.RunId, j.State });
        builder.HasOne<PersonalizationRun>().WithMany().HasForeignKey(j => j.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}

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
