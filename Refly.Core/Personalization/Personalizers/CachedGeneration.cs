using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Personalization;

/// <summary>
/// One model generation kept for reuse: the copy a model wrote for one fact group and one message, under one brief and
/// one model. Only copy that passed the guardrails is kept, as plain text before Refly fills in per-contact values
/// (it never holds a name, an e-mail or an id). Reused across batches, on resume, on a re-run and by previews.
/// </summary>
public sealed class CachedGeneration
{
    /// <summary><see cref="ContactFacts.Hash"/> of the group.</summary>
    public required string FactsHash { get; set; }

    /// <summary>The Klaviyo campaign message id.</summary>
    public required string MessageId { get; set; }

    /// <summary>Hash of the campaign's brief; empty when there is none.</summary>
    public required string BriefHash { get; set; }

    /// <summary>The model that wrote it.</summary>
    public required string ModelId { get; set; }

    /// <summary>
    /// Hash of the original subject, preview text and campaign name the copy was written from: a message edited since
    /// then no longer matches, and its copy is written again (and replaces this row).
    /// </summary>
    public required string ContentHash { get; set; }

    /// <summary>The subject as the model wrote it (validated plain text).</summary>
    public required string Subject { get; set; }

    /// <summary>The preview text as the model wrote it; empty when none.</summary>
    public required string PreviewText { get; set; }

    /// <summary>The opening paragraph as the model wrote it (plain text, before the greeting); empty when none.</summary>
    public required string Intro { get; set; }

    /// <summary>When it was generated.</summary>
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class CachedGenerationConfiguration : IEntityTypeConfiguration<CachedGeneration>
{
    public void Configure(EntityTypeBuilder<CachedGeneration> builder)
    {
        builder.ToTable("GenerationCache");
        builder.HasKey(g => new { g.FactsHash, g.MessageId, g.BriefHash, g.ModelId });
        builder.Property(g => g.FactsHash).HasMaxLength(64);
        builder.Property(g => g.MessageId).HasMaxLength(64);
        builder.Property(g => g.BriefHash).HasMaxLength(64);
        builder.Property(g => g.ModelId).HasMaxLength(200);
        builder.Property(g => g.ContentHash).HasMaxLength(64);
        builder.Property(g => g.Subject).HasMaxLength(ContentGuardrails.MaxSubjectLength);
        builder.Property(g => g.PreviewText).HasMaxLength(ContentGuardrails.MaxPreviewTextLength);
        builder.Property(g => g.Intro).HasMaxLength(ContentGuardrails.MaxIntroLength);
    }
}
