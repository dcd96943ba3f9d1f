using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>A campaign message's original content, as snapshotted before the switch.</summary>
/// <param name="Subject">The original subject line (may contain the marketer's own Klaviyo template tags).</param>
/// <param name="PreviewText">The original preview text; null or empty when the message has none.</param>
public sealed record MessageContent(string Subject, string? PreviewText);

/// <summary>One contact and one selected message: what a personalizer needs to produce that contact's content.</summary>
/// <param name="Profile">The recipient's Klaviyo profile (raw: personalizers sanitize every field they read).</param>
/// <param name="MessageId">The Klaviyo campaign message id (stable input of the deterministic choices).</param>
/// <param name="CampaignName">The campaign's name, context for the copy.</param>
/// <param name="Original">The message's original subject and preview text.</param>
public sealed record PersonalizationRequest(
    KlaviyoProfile Profile,
    string MessageId,
    string CampaignName,
    MessageContent Original)
{
    /// <summary>The campaign's brief; <see cref="CampaignBrief.Default"/> when the marketer gave none.</summary>
    public CampaignBrief Brief { get; init; } = CampaignBrief.Default;

    /// <summary>
    /// A stable hash of the campaign's brief when it has one (it keys cached generations); null or empty when there is none.
    /// </summary>
    public string? BriefHash { get; init; }

    /// <summary>
    /// 0 for the usual copy; 1, 2, ... for the copy a marketer asked to have written again (Regenerate on a sample):
    /// each variant is written afresh (its own cache entry and model seed, another rule-based phrasing).
    /// </summary>
    public int Variant { get; init; }

    /// <summary>
    /// The counters of the run this request belongs to (a run's own calls, tokens, groups and cache hits, apart from
    /// other runs sharing the model); null outside a run. The model personalizer counts into it besides its own totals.
    /// </summary>
    public LlmPersonalizerStats? Usage { get; init; }
}

/// <summary>Where a contact's content came from.</summary>
public enum ContentSource
{
    /// <summary>The rule-based personalizer wrote it (the default personalizer, or the LLM's fallback).</summary>
    RuleBased,

    /// <summary>A model wrote it (for the contact's fact group), Refly filled in the per-contact values.</summary>
    Model,

    /// <summary>Nothing was written: the original content is kept.</summary>
    Original,

    /// <summary>The marketer wrote it: an approved edit of a sample (see <see cref="ApprovedCopy"/>).</summary>
    Marketer,
}

/// <summary>
/// Personalized content for one contact and one message, already through <see cref="ContentGuardrails"/>:
/// length-bounded, free of template syntax, safe to write into profile properties.
/// A null field means "keep the original" for that field: the pipeline unsets the property, and the message's
/// <c>default:</c> (see <see cref="PersonalizedMarkup"/>) renders the original content, its own template tags included.
/// </summary>
/// <param name="Subject">Plain-text subject, at most <see cref="ContentGuardrails.MaxSubjectLength"/> characters; null keeps the original.</param>
/// <param name="PreviewText">Plain-text preview, at most <see cref="ContentGuardrails.MaxPreviewTextLength"/> characters; null keeps the original.</param>
/// <param name="IntroHtml">An HTML paragraph (escaped text in a <c>&lt;p&gt;</c>), at most <see cref="ContentGuardrails.MaxIntroLength"/> characters; null adds no block.</param>
public sealed record PersonalizedContent(string? Subject, string? PreviewText, string? IntroHtml)
{
    /// <summary>True when the personalizer gave up for this contact and the original content is used.</summary>
    public bool IsFallback { get; init; }

    /// <summary>
    /// Why the personalizer fell back (e.g. "timeout", "invalid output: TooLong"): to the original content when
    /// <see cref="IsFallback"/>, or to the rule-based copy (<see cref="Source"/> <see cref="ContentSource.RuleBased"/>)
    /// when the LLM personalizer could not use the model's; null when it did not fall back.
    /// </summary>
    public string? FallbackReason { get; init; }

    /// <summary>Who wrote the content.</summary>
    public ContentSource Source { get; init; }

    /// <summary>Content that keeps the original subject, preview and template for this contact, recording why.</summary>
    public static PersonalizedContent Fallback(string reason) =>
        new(null, null, null) { IsFallback = true, FallbackReason = reason, Source = ContentSource.Original };
}
