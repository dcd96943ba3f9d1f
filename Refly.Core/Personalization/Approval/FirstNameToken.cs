using System.Text;

namespace Refly.Core.Personalization;

/// <summary>
/// The <c>{first_name}</c> placeholder of approved copy: a sample shows one contact's copy with their name; the copy
/// the whole group receives holds the placeholder instead (<see cref="Abstract"/>), and each contact gets their own
/// first name back (<see cref="Fill"/>). A contact without a usable first name gets the sentence without it
/// ("{first_name}, new picks" becomes "New picks", "Hi {first_name}," becomes "Hi there,").
/// </summary>
public static class FirstNameToken
{
    public const string Token = "{first_name}";

    /// <summary><paramref name="text"/> with every whole-word occurrence of <paramref name="name"/> replaced by <see cref="Token"/>.</summary>
    public static string Abstract(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(name))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var at = text.IndexOf(name, i, StringComparison.Ordinal);
            if (at < 0)
            {
                break;
            }

            var end = at + name.Length;
            var wholeWord = (at == 0 || !char.IsLetterOrDigit(text[at - 1])) && (end == text.Length || !char.IsLetterOrDigit(text[end]));
            result.Append(text, i, at - i).Append(wholeWord ? Token : name);
            i = end;
        }

        return result.Append(text, i, text.Length - i).ToString();
    }

    /// <summary><paramref name="text"/> with <see cref="Token"/> replaced by <paramref name="name"/>, or written around when there is no name.</summary>
    public static string Fill(string text, string name)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains(Token, StringComparison.Ordinal))
        {
            return text;
        }

        if (!string.IsNullOrWhiteSpace(name))
        {
            return text.Replace(Token, name, StringComparison.Ordinal);
        }

        var filled = text
            .Replace("Hi " + Token, "Hi there", StringComparison.Ordinal)
            .Replace("Hello " + Token, "Hello there", StringComparison.Ordinal)
            .Replace("Hey " + Token, "Hey there", StringComparison.Ordinal)
            .Replace(", " + Token, string.Empty, StringComparison.Ordinal)
            .Replace(" " + Token + ",", string.Empty, StringComparison.Ordinal)
            .Replace(Token + ", ", string.Empty, StringComparison.Ordinal)
            .Replace(Token + ",", string.Empty, StringComparison.Ordinal)
            .Replace(Token, string.Empty, StringComparison.Ordinal);
        filled = string.Join(' ', filled.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return filled.Length > 0 && char.IsLower(filled[0])
            ? string.Concat(char.ToUpperInvariant(filled[0]).ToString(), filled.AsSpan(1))
            : filled;
    }
}
