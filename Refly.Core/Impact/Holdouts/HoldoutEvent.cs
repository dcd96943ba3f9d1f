using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Refly.Core.Personalization;

namespace Refly.Core.Impact.Holdouts;

/// <summary>What a holdout event counts as.</summary>
public enum HoldoutEventKind
{
    /// <summary>"Received Email": the contact is a recipient.</summary>
    Received = 0,

    /// <summary>"Opened Email".</summary>
    Opened = 1,

    /// <summary>"Clicked Email".</summary>
    Clicked = 2,

    /// <summary>The account's conversion metric, attributed to one of the run's messages.</summary>
    Converted = 3,
}

/// <summary>
/// One Klaviyo event of a run's campaign messages, kept only as long as it takes to join it with the run's contacts
/// (written in batches by <see cref="HoldoutEventStore"/>, never loaded as entities).
/// </summary>
public sealed class HoldoutEvent
{
    /// <summary>SQLite's rowid: appending is cheap, and two clicks in the same second are two rows.</summary>
    public long Id { get; set; }

    public Guid RunId { get; set; }

    public required string ProfileId { get; set; }

    public HoldoutEventKind Kind { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The conversion's <c>$value</c>; 0 for the email events.</summary>
    public double Value { get; set; }
}

internal sealed class HoldoutEventConfiguration : IEntityTypeConfiguration<HoldoutEvent>
{
    public void Configure(EntityTypeBuilder<HoldoutEvent> builder)
    {
        builder.HasKey(e => e.Id);
        // Only the foreign key's index on RunId (appends in rowid order, cheap). An index on (RunId, ProfileId) would spare
        // the join a sort, but events arrive in time order with profiles interleaved, so every insert would land at a
        // random place in it: 4-5x slower inserts for 1,000,000 recipients (docs/PERFORMANCE.md, impact-join).
        builder.Property(e => e.ProfileId).HasMaxLength(64);
        builder.HasOne<PersonalizationRun>().WithMany().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
