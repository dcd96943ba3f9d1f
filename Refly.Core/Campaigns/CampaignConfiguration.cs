using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Campaigns;

internal sealed class CampaignConfiguration : IEntityTypeConfiguration<Campaign>
{
    public void Configure(EntityTypeBuilder<Campaign> builder)
    {
        builder.HasIndex(c => c.KlaviyoId).IsUnique();
        builder.HasIndex(c => c.Status);
        builder.HasIndex(c => c.SendTime);
        builder.Property(c => c.KlaviyoId).HasMaxLength(64);
        builder.Property(c => c.Status).HasConversion<string>().HasMaxLength(16);
        builder.Property(c => c.RawStatus).HasMaxLength(64);
        builder.Ignore(c => c.IsAbTest);
        builder.HasMany(c => c.Messages).WithOne().HasForeignKey(m => m.CampaignId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class CampaignMessageConfiguration : IEntityTypeConfiguration<CampaignMessage>
{
    public void Configure(EntityTypeBuilder<CampaignMessage> builder)
    {
        builder.HasIndex(m => m.KlaviyoId).IsUnique();
        builder.Property(m => m.KlaviyoId).HasMaxLength(64);
    }
}
