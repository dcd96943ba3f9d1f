namespace Refly.Core.Personalization;

/// <summary>An email as a recipient sees it: the subject, the preview text and the full HTML body, rendered by Klaviyo.</summary>
public sealed record RenderedEmail(string Subject, string PreviewText, string Html);

/// <summary>One contact's email for one message: the original and the personalized version, both rendered by Klaviyo.</summary>
/// <param name="MessageId">The Klaviyo campaign message id.</param>
/// <param name="MessageLabel">The message's label (A/B variation name), or null.</param>
/// <param name="Contact">Who it is for, for the marketer (the contact's e-mail, else its Klaviyo id).</param>
/// <param name="Facts">The facts the personalizer saw for this contact, in words (e.g. "Gold · Shoes · ordered recently").</param>
/// <param name="GroupSize">How many contacts of the sampled page share these facts (and so this content); 1 for a looked-up contact.</param>
/// <param name="Original">The email with the original content.</param>
/// <param name="Personalized">The email with the content the personalizer would write for this contact.</param>
/// <param name="Source">Who wrote the personalized content (model, rule-based, or nothing: original kept).</param>
/// <param name="FallbackReason">Why the personalizer fell back, when it did.</param>
public sealed record EmailPreview(
    string MessageId,
    string? MessageLabel,
    string Contact,
    string Facts,
    int GroupSize,
    RenderedEmail Original,
    RenderedEmail Personalized,
    ContentSource Source,
    string? FallbackReason);

/// <summary>What <see cref="EmailPreviewService.PreviewAsync"/> found.</summary>
public enum EmailPreviewStatus
{
    /// <summary>The previews were rendered.</summary>
    Ok,

    /// <summary>No Klaviyo profile has the e-mail asked for.</summary>
    UnknownEmail,

    /// <summary>The campaign's audience has no contact to sample.</summary>
    NoContacts,
}

/// <summary>The previews (samples, or the looked-up contact), or why there are none.</summary>
public sealed record EmailPreviewResult(EmailPreviewStatus Status, IReadOnlyList<EmailPreview> Previews, string? Message)
{
    /// <summary>The words for <see cref="ContentSource"/> the API and the pages use: "model", "rule-based", "original".</summary>
    public static string SourceName(ContentSource source) => source switch
    {
        ContentSource.Model => "model",
        ContentSource.RuleBased => "rule-based",
        _ => "original",
    };
}
