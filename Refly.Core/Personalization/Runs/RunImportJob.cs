using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

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
