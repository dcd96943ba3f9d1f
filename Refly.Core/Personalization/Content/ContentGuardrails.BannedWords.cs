namespace Refly.Core.Personalization;

public static partial class ContentGuardrails
{
    /// <summary>
    /// The first of <paramref name="words"/> (a brief's words to avoid) that <paramref name="text"/> contains, compared
    /// case-insensitively as a whole word or phrase ("cheap" is found in "Cheap thrills" but not in "cheaper"); null when none.
    /// HTML character references are read as their characters, so an escaped intro is checked as it will read.
    /// </summary>
    public static string? FindBannedWord(string? text, IReadOnlyList<string>? words)
    {
        if (string.IsNullOrEmpty(text) || words is null || words.Count == 0)
        {
            return null;
        }

        var readable = text.Contains('&', StringComparison.Ordinal) ? System.Net.WebUtility.HtmlDecode(text) : text;
        foreach (var raw in words)
        {
            var word = raw?.Trim();
            if (string.IsNullOrEmpty(word))
            {
                continue;
            }

            var at = readable.IndexOf(word, StringComparison.OrdinalIgnoreCase);
            while (at >= 0)
            {
                var end = at + word.Length;
                var startsWord = at == 0 || !char.IsLetterOrDigit(readable[at - 1]) || !char.IsLetterOrDigit(word[0]);
                var endsWord = end >= readable.Length || !char.IsLetterOrDigit(readable[end]) || !char.IsLetterOrDigit(word[^1]);
                if (startsWord && endsWord)
                {
                    return raw;
                }

                at = readable.IndexOf(word, at + 1, StringComparison.OrdinalIgnoreCase);
            }
        }

        return null;
    }

    /// <summary>
    /// <see cref="Validate(string?, string?, string?, MessageContent, IEnumerable{string?})"/>, plus
    /// <see cref="ContentViolations.BannedWord"/> when a field contains one of <paramref name="bannedWords"/>.
    /// </summary>
    public static ContentViolations Validate(
        string? subject, string? previewText, string? intro, MessageContent original, IEnumerable<string?> allowedSources, IReadOnlyList<string>? bannedWords)
    {
        var violations = Validate(subject, previewText, intro, original, allowedSources);
        if (FindBannedWord(subject, bannedWords) is not null || FindBannedWord(previewText, bannedWords) is not null
            || FindBannedWord(intro, bannedWords) is not null)
        {
            violations |= ContentViolations.BannedWord;
        }

        return violations;
    }
}
