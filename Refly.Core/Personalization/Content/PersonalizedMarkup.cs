namespace Refly.Core.Personalization;

/// <summary>
/// How a campaign message is pointed at the per-contact content, and how to recognise a
/// message that already is. The property names per message are
/// <c>refly_&lt;messageKey&gt;_subject</c>, <c>_preview</c> and <c>_intro</c>; subject and preview text become
/// lookups with the original as the default, the template gets a marked block with the intro.
/// A restore never parses these back: it starts from the stored originals.
/// </summary>
public static class PersonalizedMarkup
{
    /// <summary>Prefix of every property this product writes on profiles.</summary>
    public const string PropertyPrefix = "refly_";

    /// <summary>The marker a template author can put where the personalized intro should go.</summary>
    public const string IntroMarker = "<!-- refly:intro -->";

    /// <summary>Opens the block <see cref="TemplateWithPersonalizedBlock"/> inserts (followed by the message key).</summary>
    public const string BlockBeginMarker = "<!-- refly:personalized:begin";

    /// <summary>Closes the block <see cref="TemplateWithPersonalizedBlock"/> inserts.</summary>
    public const string BlockEndMarker = "<!-- refly:personalized:end -->";

    private const string LookupPrefix = "person|lookup:'" + PropertyPrefix;
    private const int MaxReadableIdChars = 12;

    /// <summary>
    /// A short, stable key for a message id that is safe in a Klaviyo property name ([a-z0-9_]): the last
    /// (at most 12) letters and digits of the id, lower-cased, then an 8-hex-digit FNV-1a hash of the exact id
    /// so that ids differing only in case or punctuation never share a key.
    /// </summary>
    public static string MessageKey(string messageId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        Span<char> readable = stackalloc char[MaxReadableIdChars];
        var count = 0;
        for (var i = messageId.Length - 1; i >= 0 && count < MaxReadableIdChars; i--)
        {
            var c = messageId[i];
            if (char.IsAsciiLetterOrDigit(c))
            {
                readable[MaxReadableIdChars - 1 - count] = char.ToLowerInvariant(c);
                count++;
            }
        }

        var hash = StableHash.Fnv1a32(messageId);
        return count == 0
            ? $"m{hash:x8}"
            : string.Concat(readable[(MaxReadableIdChars - count)..], "_", hash.ToString("x8", System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Profile property holding the personalized subject of a message.</summary>
    public static string SubjectProperty(string messageKey) => PropertyName(messageKey, "subject");

    /// <summary>Profile property holding the personalized preview text of a message.</summary>
    public static string PreviewProperty(string messageKey) => PropertyName(messageKey, "preview");

    /// <summary>Profile property holding the personalized intro (HTML) of a message.</summary>
    public static string IntroProperty(string messageKey) => PropertyName(messageKey, "intro");

    /// <summary>The three properties of a message: subject, preview, intro (what a clean-up unsets).</summary>
    public static IReadOnlyList<string> Properties(string messageKey) =>
        [SubjectProperty(messageKey), PreviewProperty(messageKey), IntroProperty(messageKey)];

    /// <summary>
    /// The property values to set and unset on a profile for one message. A null field of
    /// <paramref name="content"/> (keep the original) is unset, so a value from an earlier run cannot linger.
    /// </summary>
    public static void AddProperties(
        string messageKey, PersonalizedContent content, IDictionary<string, string> set, ICollection<string> unset)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(unset);
        Put(SubjectProperty(messageKey), content.Subject);
        Put(PreviewProperty(messageKey), content.PreviewText);
        Put(IntroProperty(messageKey), content.IntroHtml);

        void Put(string name, string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                unset.Add(name);
            }
            else
            {
                set[name] = value;
            }
        }
    }

    /// <summary>
    /// The subject that renders the personalized subject, or the original for a contact without one:
    /// <c>{{ person|lookup:'refly_&lt;key&gt;_subject'|default:'&lt;original&gt;' }}</c>.
    /// See <see cref="LookupWithDefault"/> for how the original is embedded.
    /// </summary>
    public static string SubjectExpression(string messageKey, string? originalSubject) =>
        LookupWithDefault(SubjectProperty(messageKey), originalSubject);

    /// <summary>The preview text counterpart of <see cref="SubjectExpression"/>.</summary>
    public static string PreviewExpression(string messageKey, string? originalPreviewText) =>
        LookupWithDefault(PreviewProperty(messageKey), originalPreviewText);

    /// <summary>
    /// <c>{{ person|lookup:'&lt;property&gt;'|default:'&lt;original&gt;' }}</c> with the original kept character for
    /// character: it is quoted with the quote kind it does not contain (<c>'</c>, else <c>"</c>), which Klaviyo's
    /// template language reads back unchanged. An original that no literal can hold exactly (both quote kinds, a
    /// backslash, a line break or other control character, or template delimiters <c>{{ }} {% %} {# #}</c>,
    /// e.g. the marketer's own <c>{{ first_name|default:'there' }}</c>) is written verbatim as text in
    /// <c>{% if person|lookup:'p' %}{{ person|lookup:'p' }}{% else %}original{% endif %}</c>: contacts without
    /// personalized content see exactly what the original rendered. The original is the marketer's own content
    /// (Klaviyo already rendered it as a template), never contact data. <see cref="FallbackOf"/> recovers it.
    /// </summary>
    public static string LookupWithDefault(string propertyName, string? original)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(propertyName);
        original ??= string.Empty;
        if (LiteralQuoteFor(original) is { } quote)
        {
            return $"{{{{ person|lookup:'{propertyName}'|default:{quote}{original}{quote} }}}}";
        }

        return ConditionalPrefix(propertyName) + original + ConditionalSuffix;
    }

    /// <summary>
    /// The original text a subject or preview written by <see cref="LookupWithDefault"/> falls back to, exactly as
    /// the marketer wrote it; <paramref name="markup"/> itself when it is not this product's lookup (it is the text).
    /// </summary>
    public static string FallbackOf(string? markup)
    {
        if (string.IsNullOrEmpty(markup) || !IsSwitched(markup))
        {
            return markup ?? string.Empty;
        }

        if (markup.StartsWith(LookupOpen, StringComparison.Ordinal))
        {
            var nameEnd = markup.IndexOf('\'', LookupOpen.Length);
            if (nameEnd > 0)
            {
                var defaultAt = nameEnd + 1;
                const string DefaultOpen = "|default:";
                if (markup.AsSpan(defaultAt).StartsWith(DefaultOpen, StringComparison.Ordinal) && markup.Length >= defaultAt + DefaultOpen.Length + 5)
                {
                    var quote = markup[defaultAt + DefaultOpen.Length];
                    var closing = string.Concat(quote.ToString(), " }}");
                    var literalStart = defaultAt + DefaultOpen.Length + 1;
                    if (quote is '\'' or '"' && markup.EndsWith(closing, StringComparison.Ordinal) && markup.Length - closing.Length >= literalStart)
                    {
                        return markup[literalStart..^closing.Length];
                    }
                }
            }
        }
        else if (markup.StartsWith("{% if " + LookupPrefix, StringComparison.Ordinal))
        {
            var nameStart = "{% if person|lookup:'".Length;
            var nameEnd = markup.IndexOf('\'', nameStart);
            if (nameEnd > 0)
            {
                var prefix = ConditionalPrefix(markup[nameStart..nameEnd]);
                if (markup.StartsWith(prefix, StringComparison.Ordinal) && markup.EndsWith(ConditionalSuffix, StringComparison.Ordinal)
                    && markup.Length >= prefix.Length + ConditionalSuffix.Length)
                {
                    return markup[prefix.Length..^ConditionalSuffix.Length];
                }
            }
        }

        return markup;
    }

    /// <summary>
    /// A subject or preview text in words for run details: "Personalized per contact; fallback: &lt;original&gt;" for
    /// this product's lookup (never the template code), the text itself otherwise.
    /// </summary>
    public static string Describe(string? markup)
    {
        if (!IsSwitched(markup))
        {
            return markup ?? string.Empty;
        }

        var fallback = FallbackOf(markup);
        return fallback.Length == 0
            ? "Personalized per contact; fallback: (none)"
            : "Personalized per contact; fallback: " + fallback;
    }

    /// <summary>Whether a subject or preview text is already pointed at this product's properties.</summary>
    public static bool IsSwitched(string? subjectOrPreview) =>
        subjectOrPreview is not null && subjectOrPreview.Contains(LookupPrefix, StringComparison.Ordinal);

    /// <summary>Whether a template already carries this product's personalized block.</summary>
    public static bool IsSwitchedTemplate(string? html) =>
        html is not null && html.Contains(BlockBeginMarker, StringComparison.Ordinal);

    /// <summary>
    /// The block inserted into a template: begin marker, the intro lookup (empty default), end marker.
    /// </summary>
    public static string PersonalizedBlock(string messageKey) =>
        $"{BlockBeginMarker} {messageKey} -->{{{{ person|lookup:'{IntroProperty(messageKey)}'|default:'' }}}}{BlockEndMarker}";

    /// <summary>
    /// A copy of <paramref name="originalHtml"/> with <see cref="PersonalizedBlock"/> inserted right after the
    /// <see cref="IntroMarker"/> when there is one, else right after the opening <c>&lt;body ...&gt;</c> tag
    /// (any case, any attributes), else at the top. Idempotent: a block already there (from this or an earlier
    /// key) is replaced in place, never doubled.
    /// </summary>
    public static string TemplateWithPersonalizedBlock(string? originalHtml, string messageKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageKey);
        var html = originalHtml ?? string.Empty;
        var block = PersonalizedBlock(messageKey);

        if (TryFindBlock(html, out var blockStart, out var blockEnd))
        {
            return string.Concat(html.AsSpan(0, blockStart), block, html.AsSpan(blockEnd));
        }

        var at = FindIntroMarkerEnd(html);
        if (at < 0)
        {
            at = FindBodyOpenTagEnd(html);
        }

        if (at < 0)
        {
            at = 0;
        }

        return string.Concat(html.AsSpan(0, at), block, html.AsSpan(at));
    }

    /// <summary>
    /// The template without this product's block (the reverse of <see cref="TemplateWithPersonalizedBlock"/>).
    /// Restores use the stored original; this is for templates whose original was lost.
    /// </summary>
    public static string WithoutPersonalizedBlock(string? html)
    {
        html ??= string.Empty;
        while (TryFindBlock(html, out var start, out var end))
        {
            html = string.Concat(html.AsSpan(0, start), html.AsSpan(end));
        }

        return html;
    }

    private static string PropertyName(string messageKey, string field)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageKey);
        foreach (var c in messageKey)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                throw new ArgumentException($"A message key may contain only [a-z0-9_]; got '{messageKey}'. Use {nameof(MessageKey)}.", nameof(messageKey));
            }
        }

        return string.Concat(PropertyPrefix, messageKey, "_", field);
    }

    private static bool ContainsTemplateOpener(string text)
    {
        for (var i = text.IndexOf('{'); i >= 0 && i < text.Length - 1; i = text.IndexOf('{', i + 1))
        {
            if (text[i + 1] is '{' or '%' or '#')
            {
                return true;
            }
        }

        return false;
    }

    private const string LookupOpen = "{{ " + LookupPrefix;
    private const string ConditionalSuffix = "{% endif %}";

    private static string ConditionalPrefix(string propertyName) =>
        $"{{% if person|lookup:'{propertyName}' %}}{{{{ person|lookup:'{propertyName}' }}}}{{% else %}}";

    // The quote that can hold the text unchanged in a literal, or null when none can.
    private static char? LiteralQuoteFor(string text)
    {
        if (ContainsTemplateOpener(text) || text.Contains("}}", StringComparison.Ordinal)
            || text.Contains("%}", StringComparison.Ordinal) || text.Contains("#}", StringComparison.Ordinal)
            || text.Contains('\\'))
        {
            return null;
        }

        foreach (var c in text)
        {
            if (char.IsControl(c))
            {
                return null;
            }
        }

        return !text.Contains('\'') ? '\''
            : !text.Contains('"') ? '"'
            : null;
    }

    private static bool TryFindBlock(string html, out int start, out int end)
    {
        start = html.IndexOf(BlockBeginMarker, StringComparison.Ordinal);
        end = -1;
        if (start < 0)
        {
            return false;
        }

        var close = html.IndexOf(BlockEndMarker, start, StringComparison.Ordinal);
        if (close < 0)
        {
            // A begin without an end (hand-edited template): remove just the begin comment.
            var commentEnd = html.IndexOf("-->", start + BlockBeginMarker.Length, StringComparison.Ordinal);
            end = commentEnd < 0 ? html.Length : commentEnd + 3;
            return true;
        }

        end = close + BlockEndMarker.Length;
        return true;
    }

    // Accepts "<!-- refly:intro -->" with any spacing and case inside the comment.
    private static int FindIntroMarkerEnd(string html)
    {
        var i = html.IndexOf("<!--", StringComparison.Ordinal);
        while (i >= 0)
        {
            var close = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
            if (close < 0)
            {
                return -1;
            }

            if (html.AsSpan(i + 4, close - i - 4).Trim().Equals("refly:intro", StringComparison.OrdinalIgnoreCase))
            {
                return close + 3;
            }

            i = html.IndexOf("<!--", close + 3, StringComparison.Ordinal);
        }

        return -1;
    }

    // End of the first "<body" start tag; quoted attribute values may contain '>'.
    private static int FindBodyOpenTagEnd(string html)
    {
        var i = html.IndexOf("<body", StringComparison.OrdinalIgnoreCase);
        while (i >= 0)
        {
            var after = i + 5;
            if (after >= html.Length)
            {
                return -1;
            }

            var next = html[after];
            if (next == '>' || next == '/' || char.IsWhiteSpace(next))
            {
                char? quote = null;
                for (var j = after; j < html.Length; j++)
                {
                    var c = html[j];
                    if (quote is not null)
                    {
                        if (c == quote)
                        {
                            quote = null;
                        }
                    }
                    else if (c is '"' or '\'')
                    {
                        quote = c;
                    }
                    else if (c == '>')
                    {
                        return j + 1;
                    }
                }

                return -1;
            }

            i = html.IndexOf("<body", after, StringComparison.OrdinalIgnoreCase);
        }

        return -1;
    }
}
