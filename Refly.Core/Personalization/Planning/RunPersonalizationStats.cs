using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Personalization;

/// <summary>
/// What one run's personalizer did, one row per run: the personalizer it ran with, where each contact's content came
/// from and what the model cost. The counts by source move with the checkpoint (in the same transaction), so a resumed
/// run neither loses nor double-counts a confirmed batch; the model counters are saved with each checkpoint as totals.
/// </summary>
public sealed class RunPersonalizationStats
{
    /// <summary>The run (<see cref="PersonalizationRun.Id"/>).</summary>
    public Guid RunId { get; set; }

    /// <summary>The personalizer the run uses: <c>rule-based</c>, <c>llm</c> or <c>hybrid</c>.</summary>
    public required string Personalizer { get; set; }

    /// <summary>Contacts (times messages) whose content a model wrote.</summary>
    public long ModelContacts { get; set; }

    /// <summary>Contacts (times messages) given the rule-based copy.</summary>
    public long RuleBasedContacts { get; set; }

    /// <summary>Contacts (times messages) that keep the original content.</summary>
    public long OriginalContacts { get; set; }

    /// <summary>Model calls made (each try counts).</summary>
    public long ModelCalls { get; set; }

    /// <summary>Prompt tokens, as the answers counted them.</summary>
    public long InputTokens { get; set; }

    /// <summary>Completion tokens, as the answers counted them.</summary>
    public long OutputTokens { get; set; }

    /// <summary>Fact groups the model was asked about (generated or from the cache).</summary>
    public long DistinctGroups { get; set; }

    /// <summary>Groups whose copy came from the generation cache.</summary>
    public long CacheHits { get; set; }

    /// <summary>Seconds the model part took in all (for the measured rates of the next estimate).</summary>
    public double ModelSeconds { get; set; }

    /// <summary>The split, as the run history and the API show it.</summary>
    public RunSourceSplit SourceSplit => new(ModelContacts, RuleBasedContacts, OriginalContacts);
}

internal sealed class RunPersonalizationStatsConfiguration : IEntityTypeConfiguration<RunPersonalizationStats>
{
    public void Configure(EntityTypeBuilder<RunPersonalizationStats> builder)
    {
        builder.ToTable("RunPersonalizationStats");
        builder.HasKey(s => s.RunId);
        builder.Property(s => s.Personalizer).HasMaxLength(32);
        builder.Ignore(s => s.SourceSplit);
        builder.HasOne<PersonalizationRun>().WithOne().HasForeignKey<RunPersonalizationStats>(s => s.RunId).OnDelete(DeleteBehavior.Cascade);
    }
}
