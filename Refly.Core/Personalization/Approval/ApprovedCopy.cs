using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Personalization;

/// <summary>
/// The copy a marketer approved for one fact group and one message of a campaign: an edit of a sample, or a sample
/// written again. It is what every contact of that group receives (subject, preview text, opening paragraph), with
/// <see cref="FirstNameToken.Token"/> filled by each contact's first name. Saved per campaign (<see cref="RunId"/>
/// empty) when the marketer approves the samples, and copied to a run when it starts, so a resumed run keeps what it
/// started with even if the marketer approves new copy meanwhile.
/// </summary>
public sealed class ApprovedCopy
{
    /// <summary>Klaviyo's campaign id.</summary>
    public required string CampaignKlaviyoId { get; set; }

    /// <summary>The run this copy belongs to; <see cref="Guid.Empty"/> for the campaign's saved approval.</summary>
    public Guid RunId { get; set; }

    /// <summary>The Klaviyo campaign message id.</summary>
    public required string MessageId { get; set; }

    /// <summary><see cref="ContactFacts.Hash"/> of the group.</summary>
    public required string FactsHash { get; set; }

    /// <summary>The subject (plain text, may hold <see cref="FirstNameToken.Token"/>).</summary>
    public required string Subject { get; set; }

    /// <summary>The preview text; empty keeps the original.</summary>
    public required string PreviewText { get; set; }

    /// <summary>The opening paragraph as plain text; empty adds none.</summary>
    public required string Intro { get; set; }

    /// <summary>Who wrote it: the model (a sample written again), the rule-based personalizer, or the marketer (an edit).</summary>
    public ApprovedCopyOrigin Origin { get; set; }

    /// <summary>Hash of the message's original subject and preview text when it was approved: copy for a message edited since is not used.</summary>
    public required string OriginalHash { get; set; }

    /// <summary>Who approved it.</summary>
    public string? ApprovedBy { get; set; }

    /// <summary>When it was approved.</summary>
    public DateTimeOffset ApprovedAt { get; set; }
}

/// <summary>Who wrote an approved copy.</summary>
public enum ApprovedCopyOrigin
{
    /// <summary>The marketer edited the sample.</summary>
    Marketer = 0,

    /// <summary>The model wrote it (a regenerated sample).</summary>
    Model = 1,

    /// <summary>The rule-based personalizer wrote it (a regenerated sample).</summary>
    RuleBased = 2,
}

internal sealed class ApprovedCopyConfiguration : IEntityTypeConfiguration<ApprovedCopy>
{
    public void Configure(EntityTypeBuilder<ApprovedCopy> builder)
    {
        builder.ToTable("ApprovedCopies");
        builder.HasKey(c => new { c.CampaignKlaviyoId, c.RunId, c.MessageId, c.FactsHash });
        builder.Property(c => c.CampaignKlaviyoId).HasMaxLength(64);
        builder.Property(c => c.MessageId).HasMaxLength(64);
        builder.Property(c => c.FactsHash).HasMaxLength(64);
        builder.Property(c => c.OriginalHash).HasMaxLength(64);
        builder.Property(c => c.Subject).HasMaxLength(ContentGuardrails.MaxSubjectLength + FirstNameToken.Token.Length);
        builder.Property(c => c.PreviewText).HasMaxLength(ContentGuardrails.MaxPreviewTextLength + FirstNameToken.Token.Length);
        builder.Property(c => c.Intro).HasMaxLength(ContentGuardrails.MaxIntroLength + FirstNameToken.Token.Length);
        builder.Property(c => c.ApprovedBy).HasMaxLength(256);
        builder.Property(c => c.Origin).HasConversion<string>().HasMaxLength(16);
    }
}
