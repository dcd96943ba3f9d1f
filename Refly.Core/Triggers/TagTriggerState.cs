using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Triggers;

/// <summary>
/// What the tag trigger remembers about one campaign, so that a tag starts a campaign's personalization exactly once per
/// tagging, across concurrent polls and restarts.
/// </summary>
public sealed class TagTriggerState
{
    public int Id { get; set; }

    /// <summary>Klaviyo's campaign id.</summary>
    public required string CampaignKlaviyoId { get; set; }

    /// <summary>
    /// True while the tag may start a run. A start (or a run found to answer the tag) disarms it; only a poll that sees the
    /// campaign without the tag arms it again.
    /// </summary>
    public bool Armed { get; set; } = true;

    /// <summary>When the trigger was (re-)armed: runs created since then answer this tagging.</summary>
    public DateTimeOffset ArmedAt { get; set; }

    /// <summary>The run that answered the tag: started by it, or a run covering every message started since it was armed.</summary>
    public Guid? LastRunId { get; set; }

    /// <summary><see cref="Personalization.ContentFingerprint"/> of the content and send time that run started from.</summary>
    public string? Fingerprint { get; set; }

    /// <summary>
    /// The tag name (<see cref="TriggerOptions.TagName"/>) the campaign was last seen tagged with. A poll under another
    /// name (the name was changed in Settings, e.g. a typo and its fix) does not take the campaign's absence from that
    /// tag as a removal: only a removal of the same tag arms the trigger again. Null for rows older than this column.
    /// </summary>
    public string? TagName { get; set; }

    /// <summary>The last poll that found the tag on the campaign.</summary>
    public DateTimeOffset? LastSeenTaggedAt { get; set; }

    /// <summary>The last decision's code (see <see cref="TagTriggerCodes"/>).</summary>
    public string? LastDecision { get; set; }

    /// <summary>Why the last decision was taken, in the marketer's words (e.g. why a tagged campaign was skipped).</summary>
    public string? LastReason { get; set; }

    public DateTimeOffset? LastDecisionAt { get; set; }
}

internal sealed class TagTriggerStateConfiguration : IEntityTypeConfiguration<TagTriggerState>
{
    public void Configure(EntityTypeBuilder<TagTriggerState> builder)
    {
        builder.ToTable("TagTriggerStates");
        builder.HasIndex(s => s.CampaignKlaviyoId).IsUnique();
        builder.Property(s => s.CampaignKlaviyoId).HasMaxLength(64);
        builder.Property(s => s.Fingerprint).HasMaxLength(64);
        builder.Property(s => s.TagName).HasMaxLength(200);
        builder.Property(s => s.LastDecision).HasMaxLength(32);
        builder.Property(s => s.LastReason).HasMaxLength(500);
    }
}
