using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Personalization;

/// <summary>A campaign's saved brief (table CampaignBriefs), keyed by Klaviyo's campaign id as the API addresses it.</summary>
public sealed class CampaignBriefRecord
{
    /// <summary>Klaviyo's campaign id.</summary>
    public required string CampaignId { get; set; }

    /// <summary>The brief.</summary>
    public required CampaignBrief Brief { get; set; }

    /// <summary>When it was last saved.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Who saved it last (user name or "automation API").</summary>
    public string? UpdatedBy { get; set; }
}

internal sealed class CampaignBriefRecordConfiguration : IEntityTypeConfiguration<CampaignBriefRecord>
{
    public void Configure(EntityTypeBuilder<CampaignBriefRecord> builder)
    {
        builder.ToTable("CampaignBriefs");
        builder.HasKey(b => b.CampaignId);
        builder.Property(b => b.CampaignId).HasMaxLength(64);
        builder.Property(b => b.UpdatedBy).HasMaxLength(256);
        builder.Property(b => b.Brief).HasConversion(CampaignBriefJson.Converter, CampaignBriefJson.Comparer);
    }
}
