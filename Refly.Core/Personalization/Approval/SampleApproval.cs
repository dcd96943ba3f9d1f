using System.Net;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>A sample's copy as the marketer edits it: plain text, the contact's first name as <see cref="FirstNameToken.Token"/>.</summary>
public sealed record EditableCopy(string Subject, string PreviewText, string Intro);

/// <summary>
/// The approval step of the Personalize modal: a sample's copy in editable form, the rules an edit must meet (the
/// guardrails every personalizer meets, with the same words for each field), and a sample written again.
/// </summary>
public sealed class SampleApproval(PersonalizerSelector personalizers)
{
    /// <summary>The field names <see cref="Validate"/> reports against.</summary>
    public const string SubjectField = "subject", PreviewTextField = "previewText", IntroField = "intro";

    /// <summary><paramref name="content"/> (written for <paramref name="profile"/>) as editable copy for the whole group.</summary>
    public static EditableCopy ToEditable(PersonalizedContent content, KlaviyoProfile profile)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(profile);
        var name = RuleBasedPersonalizer.GreetingName(profile);
        return new EditableCopy(
            FirstNameToken.Abstract(content.Subject ?? string.Empty, name),
            FirstNameToken.Abstract(content.PreviewText ?? string.Empty, name),
            FirstNameToken.Abstract(PlainTextOf(content.IntroHtml), name));
    }

    /// <summary>The plain text of a stored intro paragraph (<c>&lt;p&gt;...&lt;/p&gt;</c>, escaped).</summary>
    public static string PlainTextOf(string? introHtml)
    {
        if (string.IsNullOrEmpty(introHtml))
        {
            return string.Empty;
        }

        var text = introHtml.StartsWith("<p>", StringComparison.Ordinal) && introHtml.EndsWith("</p>", StringComparison.Ordinal)
            ? introHtml[3..^4]
            : introHtml;
        return WebUtility.HtmlDecode(text);
    }

    /// <summary>What is wrong with an edit, per field (<see cref="SubjectField"/>, ...); empty when it may be approved.</summary>
    public static IReadOnlyDictionary<string, string> Validate(EditableCopy edit, MessageContent original)
    {
        ArgumentNullException.ThrowIfNull(edit);
        ArgumentNullException.ThrowIfNull(original);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        Check(SubjectField, edit.Subject, ContentGuardrails.MaxSubjectLength, required: true);
        Check(PreviewTextField, edit.PreviewText, ContentGuardrails.MaxPreviewTextLength, required: false);
        Check(IntroField, edit.Intro, ContentGuardrails.MaxIntroLength - "<p></p>".Length, required: false);
        return errors;

        void Check(string field, string? value, int maxLength, bool required)
        {
            var text = value?.Trim() ?? string.Empty;
            if (text.Length == 0)
            {
                if (required)
                {
                    errors[field] = "Write a subject (or keep the suggested one).";
                }

                return;
            }

            // The placeholder counts as a typical first name's length.
            var length = text.Replace(FirstNameToken.Token, "Alexandra", StringComparison.Ordinal).Length;
            var violations = ContentGuardrails.Validate(field == SubjectField ? text : "s", field == PreviewTextField ? text : null, field == IntroField ? text : null, original)
                & ~ContentViolations.MissingSubject & ~ContentViolations.TooLong;
            if (length > maxLength)
            {
                errors[field] = $"At most {maxLength} characters ({length} now, a first name counted as 9).";
            }
            else if (violations.HasFlag(ContentViolations.TemplateSyntax) || (text.Contains('{', StringComparison.Ordinal) && !OnlyTokenBraces(text)))
            {
                errors[field] = $"Only {FirstNameToken.Token} may stand in braces; Klaviyo template tags are not allowed here.";
            }
            else if (violations.HasFlag(ContentViolations.HtmlTag))
            {
                errors[field] = "Plain text only: no HTML tags.";
            }
            else if (violations.HasFlag(ContentViolations.UnknownUrl))
            {
                errors[field] = "No links other than those already in the original subject or preview text.";
            }
        }

        static bool OnlyTokenBraces(string text) =>
            text.Replace(FirstNameToken.Token, string.Empty, StringComparison.Ordinal).AsSpan().IndexOfAny('{', '}') < 0;
    }

    /// <summary>
    /// The sample written again (variant <paramref name="variant"/>, 1 or more) by the personalizer a run would use now:
    /// other copy than before, through the same guardrails.
    /// </summary>
    public ValueTask<PersonalizedContent> RegenerateAsync(PersonalizationRequest request, int variant, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentOutOfRangeException.ThrowIfLessThan(variant, 1);
        return personalizers.Current.PersonalizeAsync(request with { Variant = variant }, cancellationToken);
    }
}
