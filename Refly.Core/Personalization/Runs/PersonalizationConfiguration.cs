using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

internal sealed class PersonalizationRunConfiguration : IEntityTypeConfiguration<PersonalizationRun>
{
    public void Configure(EntityTypeBuilder<PersonalizationRun> builder)
    {
        builder.HasKey(r => r.Id);
        builder.HasOne<Campaign>().WithMany().HasForeignKey(r => r.CampaignId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => new { r.CampaignId, r.CreatedAt });
        builder.HasIndex(r => r.State);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.Trigger).HasConversion<string>().HasMaxLength(16);
        builder.Property(r => r.CampaignKlaviyoId).HasMaxLength(64);
        builder.Ignore(r => r.Coverage);
        // JSON columns: written whole with each checkpoint, never queried into.
        builder.Property(r => r.Checkpoint).HasConversion(JsonColumn<RunCheckpoint>.Converter, JsonColumn<RunCheckpoint>.Comparer);
        builder.Property(r => r.Brief).HasConversion(CampaignBriefJson.NullableConverter, CampaignBriefJson.NullableComparer);
        builder.Property(r => r.Originals).HasConversion(JsonColumn<List<MessageSnapshot>>.Converter, JsonColumn<List<MessageSnapshot>>.Comparer);
    }
}

internal sealed class RunEventConfiguration : IEntityTypeConfiguration<RunEvent>
{
    public void Configure(EntityTypeBuilder<RunEvent> builder)
    {
        builder.HasIndex(e => new { e.RunId, e.At });
        builder.HasOne<PersonalizationRun>().WithMany().HasForeignKey(e => e.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RunContactConfiguration : IEntityTypeConfiguration<RunContact>
{
    public void Configure(EntityTypeBuilder<RunContact> builder)
    {
        builder.HasKey(c => new { c.RunId, c.ProfileId });
        builder.HasIndex(c => new { c.RunId, c.State });
        builder.HasOne<PersonalizationRun>().WithMany().HasForeignKey(c => c.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}

/// <summary>Maps a value to a JSON text column; compares by content so in-place edits are saved.</summary>
internal static class JsonColumn<T> where T : class, new()
{
    private static readonly JsonSerializerOptions _options = new(JsonSerializerDefaults.Web);

    public static string Serialize(T value) => JsonSerializer.Serialize(value, _options);

    public static T Deserialize(string json) => JsonSerializer.Deserialize<T>(json, _options) ?? new T();

    public static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.ValueConverter<T, string> Converter =
        new(value => Serialize(value), json => Deserialize(json));

    public static readonly ValueComparer<T> Comparer = new(
        (a, b) => Serialize(a!) == Serialize(b!),
        value => Serialize(value).GetHashCode(StringComparison.Ordinal),
        value => Deserialize(Serialize(value)));
}
