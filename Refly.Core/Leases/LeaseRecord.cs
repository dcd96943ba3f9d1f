using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Leases;

/// <summary>
/// One row of the <c>Leases</c> table: who holds the named lease (a run, the tag poll, the campaign sync) and until
/// when. Written only by <see cref="LeaseManager"/>, with single conditional statements, so two app instances on one
/// database can never both hold it.
/// </summary>
public sealed class LeaseRecord
{
    /// <summary>What the lease guards, e.g. <c>run:0f3c...</c>, <c>tag-poll</c>, <c>campaign-sync</c>.</summary>
    public required string Name { get; set; }

    /// <summary>The holder's <see cref="LeaseManager.OwnerId"/> (random per process).</summary>
    public required string Owner { get; set; }

    /// <summary>The holder before the current one took it (itself when it re-took its own lease); null for a new lease.</summary>
    public string? PreviousOwner { get; set; }

    /// <summary>When the current holder took it.</summary>
    public DateTimeOffset AcquiredAt { get; set; }

    /// <summary>The holder's last renewal.</summary>
    public DateTimeOffset HeartbeatAt { get; set; }

    /// <summary>
    /// Until when nobody else may take it; renewed every <see cref="LeaseOptions.RenewInterval"/>. The Unix epoch means
    /// released.
    /// </summary>
    public DateTimeOffset ExpiresAt { get; set; }
}

internal sealed class LeaseRecordConfiguration : IEntityTypeConfiguration<LeaseRecord>
{
    public void Configure(EntityTypeBuilder<LeaseRecord> builder)
    {
        builder.ToTable("Leases");
        builder.HasKey(l => l.Name);
        builder.Property(l => l.Name).HasMaxLength(100);
        builder.Property(l => l.Owner).HasMaxLength(100);
        builder.Property(l => l.PreviousOwner).HasMaxLength(100);
    }
}
