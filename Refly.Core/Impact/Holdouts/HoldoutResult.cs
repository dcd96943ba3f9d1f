using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Refly.Core.Personalization;

namespace Refly.Core.Impact.Holdouts;

/// <summary>
/// Where a run's holdout measurement stands: how far Klaviyo's events were read, the last result (so a page view never
/// reads Klaviyo), and when the schedule reads again.
/// </summary>
public sealed class HoldoutResult
{
    public Guid RunId { get; set; }

    public required string CampaignKlaviyoId { get; set; }

    /// <summary>The campaign's send time: the window's start and the schedule's origin.</summary>
    public DateTimeOffset SendTime { get; set; }

    /// <summary>Events before this instant are stored (the next read starts here); null before the first read.</summary>
    public DateTimeOffset? ReadUntil { get; set; }

    /// <summary>Events stored for the run so far.</summary>
    public long EventsStored { get; set; }

    /// <summary>When the result was computed; null before the first read.</summary>
    public DateTimeOffset? ComputedAt { get; set; }

    /// <summary>When the schedule reads again; null once the window is read to its end.</summary>
    public DateTimeOffset? NextRefreshAt { get; set; }

    /// <summary>The last result: both groups' counts and the timeline, as JSON (see <see cref="Impact"/>).</summary>
    public string? ResultJson { get; set; }

    /// <summary>The last result as the impact feature shows it (lift recomputed from the counts); null before the first read.</summary>
    public HoldoutImpact? Impact =>
        ResultJson is null ? null : JsonSerializer.Deserialize<StoredHoldoutNumbers>(ResultJson, StoredHoldoutNumbers.Json) is { } n
            ? HoldoutImpact.Of(n.Personalized, n.Control, n.Timeline)
            : null;
}

/// <summary>The stored part of a <see cref="HoldoutImpact"/>: the counts and the timeline (the lift follows from them).</summary>
internal sealed record StoredHoldoutNumbers(ImpactRates Personalized, ImpactRates Control, List<ImpactTimelinePoint> Timeline)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static string Serialize(HoldoutImpact impact) =>
        JsonSerializer.Serialize(new StoredHoldoutNumbers(impact.Personalized, impact.Control, [.. impact.Timeline]), Json);
}

internal sealed class HoldoutResultConfiguration : IEntityTypeConfiguration<HoldoutResult>
{
    public void Configure(EntityTypeBuilder<HoldoutResult> builder)
    {
        builder.HasKey(r => r.RunId);
        builder.HasIndex(r => r.CampaignKlaviyoId);
        builder.HasIndex(r => r.NextRefreshAt);
        builder.Property(r => r.CampaignKlaviyoId).HasMaxLength(64);
        builder.Ignore(r => r.Impact);
        builder.HasOne<PersonalizationRun>().WithMany().HasForeignKey(r => r.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
