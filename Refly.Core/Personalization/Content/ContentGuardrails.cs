using System.Text;

namespace Refly.Core.Personalization;

/// <summary>What an untrusted piece of generated content (e.g. an LLM answer) did wrong.</summary>
[Flags]
public enum ContentViolations
{
    /// <summary>Nothing: the content may be used.</summary>
    None = 0,

    /// <summary>The subject is missing or blank.</summary>
    MissingSubject = 1,

    /// <summary>A field is longer than its bound.</summary>
    TooLong = 2,

    /// <summary>A field contains Klaviyo template syntax (<c>{{</c>, <c>}}</c>, <c>{%</c>, <c>%}</c>, <c>{#</c>, <c>#}</c>).</summary>
    TemplateSyntax = 4,

    /// <summary>A field contains something that looks like an HTML tag or comment.</summary>
    HtmlTag = 8,

    /// <summary>A field contains a link that is not in the original subject or preview text.</summary>
    UnknownUrl = 16,

    /// <summary>A field contains a number or percentage that the original content and the allowed facts do not (an invented discount, price or date).</summary>
    InventedNumber = 32,

    /// <summary>A field contains one of the brief's words to avoid (see <see cref="ContentGuardrails.FindBannedWord"/>).</summary>
    BannedWord = 64,
}

/// <summary>
/// The rules every personalized text obeys, shared by all personalizers, applied to their inputs (profile data)
/// and always to their output.
/// <para>
/// Two output contexts: subject and preview text are plain text (mail headers, the inbox preview), where HTML
/// entities would show literally, so <see cref="ToSafeText"/> keeps them as text without markup characters
/// (<c>&lt; &gt;</c> become <c>‹ ›</c>) and breaks template delimiters with a zero-width space
/// (<c>{{</c> renders as "{​{" but is no tag). The intro is HTML, so <see cref="ToSafeHtml"/> escapes it and writes
/// braces as <c>&amp;#123;</c>/<c>&amp;#125;</c>, which render as "{" and "}" and cannot form a tag.
/// </para>
/// </summary>
public static partial class ContentGuardrails
{
    /// <summary>Longest personalized subject, in UTF-16 characters.</summary>
    public const int MaxSubjectLength = 150;

    /// <summary>Longest personalized preview text, in UTF-16 characters.</summary>
    public const int MaxPreviewTextLength = 200;

    /// <summary>Longest personalized intro, HTML included, in UTF-16 characters.</summary>
    public const int MaxIntroLength = 1_000;

    /// <summary>Longest profile value (name, city, product...) a personalizer uses; longer ones are cut.</summary>
    public const int MaxProfileValueLength = 60;

    /// <summary>Inserted between template delimiter characters in plain text: invisible, but no tag can form.</summary>
    public const char TemplateBreak = '\u200B';

    private const char Ellipsis = '…';

    [ThreadStatic]
    private static StringBuilder? _cachedBuilder;

    /// <summary>
    /// Cleans one profile value before a personalizer reads it: control and bidi-override characters removed,
    /// whitespace collapsed, trimmed, cut to <paramref name="maxLength"/> at a word boundary. The result is plain
    /// text (not escaped: output guardrails escape it in context); empty when nothing usable is left.
    /// </summary>
    public static string SanitizeProfileValue(string? value, int maxLength = MaxProfileValueLength)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        if (IsCleanPlain(value, maxLength))
        {
            return value;
        }

        var sb = Rent();
        AppendNormalized(sb, value, TextMode.Plain);
        return Truncate(sb, maxLength, ellipsis: false);
    }

    /// <summary>
    /// Makes a plain-text field (subject, preview text) safe: normalized like <see cref="SanitizeProfileValue"/>,
    /// template delimiters broken with <see cref="TemplateBreak"/>, angle brackets replaced, and cut to
    /// <paramref name="maxLength"/> (with an ellipsis). Empty when nothing is left.
    /// </summary>
    public static string ToSafeText(string? text, int maxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        if (IsCleanPlain(text, maxLength) && text.AsSpan().IndexOfAny("<>{}") < 0)
        {
            return text;
        }

        var sb = Rent();
        AppendNormalized(sb, text, TextMode.SafeText);
        return Truncate(sb, maxLength, ellipsis: true);
    }

    /// <summary>
    /// Makes text safe inside HTML: normalized, HTML-escaped (<c>&amp; &lt; &gt; " '</c>), braces written as
    /// character references, cut so that the escaped result is at most <paramref name="maxLength"/> characters.
    /// </summary>
    public static string ToSafeHtml(string? text, int maxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var sb = Rent();
        AppendNormalized(sb, text, TextMode.Html);
        return Truncate(sb, maxLength, ellipsis: true, html: true);
    }

    /// <summary>
    /// The intro as stored: <paramref name="text"/> through <see cref="ToSafeHtml"/>, in one <c>&lt;p&gt;</c>, at most
    /// <see cref="MaxIntroLength"/> characters in all; empty when the text is blank.
    /// </summary>
    public static string ToSafeHtmlParagraph(string? text)
    {
        const string Open = "<p>";
        const string Close = "</p>";
        var body = ToSafeHtml(text, MaxIntroLength - Open.Length - Close.Length);
        return body.Length == 0 ? string.Empty : string.Concat(Open, body, Close);
    }

    /// <summary>Whether the text contains a Klaviyo (Django-like) template delimiter.</summary>
    public static bool ContainsTemplateSyntax(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        for (var i = 0; i < text.Length - 1; i++)
        {
            var c = text[i];
            var n = text[i + 1];
            if ((c == '{' && n is '{' or '%' or '#') || (n == '}' && c is '}' or '%' or '#'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the text contains something an HTML parser would read as a tag, end tag, comment or declaration.</summary>
    public static bool ContainsHtmlTag(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var i = text.IndexOf('<');
        while (i >= 0 && i < text.Length - 1)
        {
            var n = text[i + 1];
            if (char.IsAsciiLetter(n) || n is '/' or '!' or '?')
            {
                return true;
            }

            i = text.IndexOf('<', i + 1);
        }

        return false;
    }

    /// <summary>
    /// The links in a text: tokens with a scheme (<c>http://</c>, <c>https://</c>, <c>mailto:</c>, or any <c>xyz://</c>)
    /// or starting with <c>www.</c>, without trailing punctuation.
    /// </summary>
    public static IReadOnlyList<string> FindUrls(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        List<string>? urls = null;
        var start = 0;
        while (start < text.Length)
        {
            while (start < text.Length && IsUrlSeparator(text[start]))
            {
                start++;
            }

            var end = start;
            while (end < text.Length && !IsUrlSeparator(text[end]))
            {
                end++;
            }

            if (end > start)
            {
                var token = text.AsSpan(start, end - start).TrimEnd(".,;:!?)]}'\"");
                if (LooksLikeUrl(token))
                {
                    (urls ??= []).Add(token.ToString());
                }
            }

            start = end;
        }

        return urls ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// Checks untrusted generated content (before it is made safe) against the bounds and rules: subject present,
    /// lengths within bounds, no template syntax, no HTML tags, no link that the original subject or preview
    /// text does not already contain.
    /// </summary>
    public static ContentViolations Validate(string? subject, string? previewText, string? intro, MessageContent original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var violations = ContentViolations.None;
        if (string.IsNullOrWhiteSpace(subject))
        {
            violations |= ContentViolations.MissingSubject;
        }

        if ((subject?.Trim().Length ?? 0) > MaxSubjectLength
            || (previewText?.Trim().Length ?? 0) > MaxPreviewTextLength
            || (intro?.Trim().Length ?? 0) > MaxIntroLength)
        {
            violations |= ContentViolations.TooLong;
        }

        if (ContainsTemplateSyntax(subject) || ContainsTemplateSyntax(previewText) || ContainsTemplateSyntax(intro))
        {
            violations |= ContentViolations.TemplateSyntax;
        }

        if (ContainsHtmlTag(subject) || ContainsHtmlTag(previewText) || ContainsHtmlTag(intro))
        {
            violations |= ContentViolations.HtmlTag;
        }

        if (HasUnknownUrl(subject, original) || HasUnknownUrl(previewText, original) || HasUnknownUrl(intro, original))
        {
            violations |= ContentViolations.UnknownUrl;
        }

        return violations;
    }

    /// <summary>
    /// <see cref="Validate(string?, string?, string?, MessageContent)"/>, plus: every number in the generated fields
    /// (digits, with their decimal or thousands separators, a percentage or not) must appear among the numbers of the
    /// original subject and preview text or of <paramref name="allowedSources"/> (the campaign name, the facts the
    /// model was given, the brief), else <see cref="ContentViolations.InventedNumber"/>.
    /// </summary>
    public static ContentViolations Validate(
        string? subject, string? previewText, string? intro, MessageContent original, IEnumerable<string?> allowedSources)
    {
        ArgumentNullException.ThrowIfNull(allowedSources);
        var violations = Validate(subject, previewText, intro, original);
        var allowed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var source in allowedSources.Append(original.Subject).Append(original.PreviewText))
        {
            allowed.UnionWith(FindNumbers(source));
        }

        foreach (var field in (ReadOnlySpan<string?>)[subject, previewText, intro])
        {
            foreach (var number in FindNumbers(field))
            {
                if (!allowed.Contains(number))
                {
                    return violations | ContentViolations.InventedNumber;
                }
            }
        }

        return violations;
    }

    /// <summary>
    /// The numbers in a text, normalized: runs of digits joined by a single <c>.</c> or <c>,</c> between digits
    /// ("1,000", "19.99"), without a percent sign (so "30%" and "30 percent" are both "30"). Digits in other
    /// scripts count too.
    /// </summary>
    public static IReadOnlyList<string> FindNumbers(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return [];
        }

        List<string>? numbers = null;
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsDigit(text[i]))
            {
                i++;
                continue;
            }

            var sb = new StringBuilder();
            while (i < text.Length)
            {
                if (char.IsDigit(text[i]))
                {
                    sb.Append((char)('0' + (int)char.GetNumericValue(text[i])));
                    i++;
                }
                else if (text[i] is '.' or ',' && i + 1 < text.Length && char.IsDigit(text[i + 1]))
                {
                    sb.Append('.');
                    i++;
                }
                else
                {
                    break;
                }
            }

            (numbers ??= []).Add(sb.ToString());
        }

        return numbers ?? (IReadOnlyList<string>)[];
    }

    private static bool HasUnknownUrl(string? text, MessageContent original)
    {
        foreach (var url in FindUrls(text))
        {
            if (!Contains(original.Subject, url) && !Contains(original.PreviewText, url))
            {
                return true;
            }
        }

        return false;

        static bool Contains(string? haystack, string url) =>
            haystack is not null && haystack.Contains(url, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsUrlSeparator(char c) => char.IsWhiteSpace(c) || c is '<' or '>' or '"' or '(' or '[';

    private static bool LooksLikeUrl(ReadOnlySpan<char> token)
    {
        if (token.Length < 4)
        {
            return false;
        }

        if (token.StartsWith("www.", StringComparison.OrdinalIgnoreCase)
            || token.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var scheme = token.IndexOf("://", StringComparison.Ordinal);
        return scheme > 0 && scheme + 3 < token.Length;
    }

    private enum TextMode
    {
        Plain,
        SafeText,
        Html,
    }

    private static StringBuilder Rent()
    {
        var sb = _cachedBuilder ??= new StringBuilder(256);
        sb.Clear();
        return sb;
    }

    // Fast path for the common case: nothing to strip, collapse, or cut.
    private static bool IsCleanPlain(string value, int maxLength)
    {
        if (value.Length > maxLength || char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]))
        {
            return false;
        }

        var previousSpace = false;
        foreach (var c in value)
        {
            if (c == ' ')
            {
                if (previousSpace)
                {
                    return false;
                }

                previousSpace = true;
                continue;
            }

            previousSpace = false;
            if (c < ' ' || char.IsControl(c) || char.IsWhiteSpace(c) || IsBidiControl(c) || char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    // Bidi overrides and isolates can make text display differently from what it is (e.g. a reversed URL).
    private static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F';

    private static void AppendNormalized(StringBuilder sb, string value, TextMode mode)
    {
        var pendingSpace = false;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsWhiteSpace(c) || char.IsControl(c))
            {
                pendingSpace = sb.Length > 0;
                continue;
            }

            if (IsBidiControl(c))
            {
                continue;
            }

            if (char.IsSurrogate(c))
            {
                // Keep only well-formed pairs; a lone surrogate is invalid UTF-16 and breaks JSON and MIME encoders.
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                {
                    FlushSpace(sb, ref pendingSpace);
                    sb.Append(c).Append(value[i + 1]);
                    i++;
                }

                continue;
            }

            FlushSpace(sb, ref pendingSpace);
            switch (mode)
            {
                case TextMode.SafeText:
                    AppendSafeTextChar(sb, c);
                    break;
                case TextMode.Html:
                    AppendHtmlChar(sb, c);
                    break;
                default:
                    sb.Append(c);
                    break;
            }
        }
    }

    private static void FlushSpace(StringBuilder sb, ref bool pendingSpace)
    {
        if (pendingSpace)
        {
            sb.Append(' ');
            pendingSpace = false;
        }
    }

    private static void AppendSafeTextChar(StringBuilder sb, char c)
    {
        // Decided on the output, not the input: removed characters (bidi controls) must not join a delimiter.
        if (sb.Length > 0
            && ((c is '{' or '%' or '#' && sb[^1] == '{') || (c == '}' && sb[^1] is '}' or '%' or '#')))
        {
            sb.Append(TemplateBreak);
        }

        sb.Append(c switch
        {
            '<' => '‹',
            '>' => '›',
            _ => c,
        });
    }

    private static void AppendHtmlChar(StringBuilder sb, char c)
    {
        switch (c)
        {
            case '&': sb.Append("&amp;"); break;
            case '<': sb.Append("&lt;"); break;
            case '>': sb.Append("&gt;"); break;
            case '"': sb.Append("&quot;"); break;
            case '\'': sb.Append("&#39;"); break;
            case '{': sb.Append("&#123;"); break;
            case '}': sb.Append("&#125;"); break;
            default: sb.Append(c); break;
        }
    }

    // Cuts at a word boundary when one is reasonably close, never inside a surrogate pair or a character
    // reference, and never leaves a dangling template break.
    private static string Truncate(StringBuilder sb, int maxLength, bool ellipsis, bool html = false)
    {
        while (sb.Length > 0 && sb[^1] == ' ')
        {
            sb.Length--;
        }

        if (sb.Length <= maxLength)
        {
            return sb.ToString();
        }

        var limit = ellipsis ? maxLength - 1 : maxLength;
        if (limit <= 0)
        {
            return string.Empty;
        }

        var cut = limit;
        for (var i = limit; i > limit / 2; i--)
        {
            if (sb[i] == ' ')
            {
                cut = i;
                break;
            }
        }

        // Inside "&...;"? Step back to before the '&'.
        for (var i = cut - 1; html && i >= 0 && i >= cut - 8; i--)
        {
            if (sb[i] == ';')
            {
                break;
            }

            if (sb[i] == '&')
            {
                cut = i;
                break;
            }
        }

        if (cut > 0 && char.IsHighSurrogate(sb[cut - 1]))
        {
            cut--;
        }

        sb.Length = cut;
        while (sb.Length > 0 && (sb[^1] == ' ' || sb[^1] == TemplateBreak))
        {
            sb.Length--;
        }

        if (ellipsis && sb.Length > 0)
        {
            sb.Append(Ellipsis);
        }

        return sb.ToString();
    }
}
