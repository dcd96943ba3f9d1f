using System.Globalization;
using System.Text;
using Refly.KlaviyoSandbox.JsonApi;

namespace Refly.KlaviyoSandbox.Spec;

/// <summary>One comparison of a filter, e.g. <c>greater-or-equal(joined_group_at,2024-01-01T00:00:00Z)</c>.</summary>
public sealed record FilterCondition(string Operator, string Field, object? Value)
{
    public string? StringValue => Value as string;

    public IReadOnlyList<string> StringList => Value switch
    {
        List<object?> list => list.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToList(),
        string s => [s],
        _ => [],
    };

    public DateTimeOffset? DateValue => Value switch
    {
        DateTimeOffset d => d,
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) => d,
        _ => null,
    };
}

/// <summary>
/// Klaviyo's filter syntax: <c>op(field,value)</c> conditions, joined by <c>and(...)</c> or by top-level commas.
/// Only the field/operator pairs the operation's description allows are accepted; <c>or</c>/<c>not</c> are parsed but
/// refused because none of the served operations documents them.
/// </summary>
public static class KlaviyoFilter
{
    public static IReadOnlyList<FilterCondition> Parse(string text, IReadOnlyDictionary<string, HashSet<string>> allowed)
    {
        var parser = new Parser(text);
        var conditions = new List<FilterCondition>();
        do
        {
            parser.ParseExpression(conditions);
        }
        while (parser.TryConsume(','));
        parser.ExpectEnd();

        foreach (var c in conditions)
        {
            if (!allowed.TryGetValue(c.Field, out var operators))
            {
                throw Invalid($"'{c.Field}' is not a valid field for this filter. Allowed fields: {string.Join(", ", allowed.Keys)}.");
            }
            if (!operators.Contains(c.Operator))
            {
                throw Invalid($"'{c.Operator}' is not a valid operator for '{c.Field}'. Allowed operators: {string.Join(", ", operators)}.");
            }
            if (c.Operator == "any" && c.Value is not List<object?>)
            {
                throw Invalid($"'any' on '{c.Field}' needs a list value, e.g. any({c.Field},['a','b']).");
            }
            // Klaviyo's datetimes are bare literals; a quoted one is a string, so refuse it rather than guess.
            if (c.Operator is "greater-or-equal" or "greater-than" or "less-or-equal" or "less-than" && IsDateField(c.Field) && c.Value is not DateTimeOffset)
            {
                throw Invalid($"'{c.Field}' needs an unquoted datetime value, e.g. greater-or-equal({c.Field},2024-01-01T00:00:00Z).");
            }
        }
        return conditions;
    }

    private static bool IsDateField(string field) => field.EndsWith("_at", StringComparison.Ordinal) || field is "created" or "updated";

    internal static KlaviyoApiException Invalid(string detail) => KlaviyoApiException.InvalidParameter("filter", $"Invalid filter provided. {detail}");

    private sealed class Parser(string text)
    {
        private int _position;

        public void ParseExpression(List<FilterCondition> into)
        {
            var op = ReadWord();
            Expect('(');
            if (op == "and")
            {
                do
                {
                    ParseExpression(into);
                }
                while (TryConsume(','));
                Expect(')');
                return;
            }
            if (op is "or" or "not")
            {
                throw Invalid($"'{op}' is not supported by this endpoint.");
            }
            var field = ReadWord();
            Expect(',');
            var value = ReadValue();
            Expect(')');
            into.Add(new FilterCondition(op, field, value));
        }

        public bool TryConsume(char c)
        {
            SkipSpaces();
            if (_position < text.Length && text[_position] == c)
            {
                _position++;
                return true;
            }
            return false;
        }

        public void ExpectEnd()
        {
            SkipSpaces();
            if (_position != text.Length)
            {
                throw Invalid($"Unexpected '{text[_position..]}'.");
            }
        }

        private void Expect(char c)
        {
            if (!TryConsume(c))
            {
                throw Invalid($"Expected '{c}' at position {_position}.");
            }
        }

        private string ReadWord()
        {
            SkipSpaces();
            var start = _position;
            while (_position < text.Length && (char.IsLetterOrDigit(text[_position]) || text[_position] is '_' or '-' or '.' or '$'))
            {
                _position++;
            }
            if (start == _position)
            {
                throw Invalid($"Expected a name at position {start}.");
            }
            return text[start.._position];
        }

        private object? ReadValue()
        {
            SkipSpaces();
            if (_position >= text.Length)
            {
                throw Invalid("Missing value.");
            }
            var c = text[_position];
            if (c is '\'' or '"')
            {
                return ReadQuoted(c);
            }
            if (c == '[')
            {
                _position++;
                var list = new List<object?>();
                if (!TryConsume(']'))
                {
                    do
                    {
                        list.Add(ReadValue());
                    }
                    while (TryConsume(','));
                    Expect(']');
                }
                return list;
            }
            var start = _position;
            while (_position < text.Length && text[_position] is not (',' or ')' or ']'))
            {
                _position++;
            }
            var raw = text[start.._position].Trim();
            return raw switch
            {
                "true" => true,
                "false" => false,
                "null" => null,
                _ when long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
                _ when double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
                _ when DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date) => date,
                _ => throw Invalid($"'{raw}' is not a valid value; strings must be quoted."),
            };
        }

        private string ReadQuoted(char quote)
        {
            _position++;
            var builder = new StringBuilder();
            while (_position < text.Length)
            {
                var c = text[_position++];
                if (c == '\\' && _position < text.Length)
                {
                    builder.Append(text[_position++]);
                }
                else if (c == quote)
                {
                    return builder.ToString();
                }
                else
                {
                    builder.Append(c);
                }
            }
            throw Invalid("Unterminated string.");
        }

        private void SkipSpaces()
        {
            while (_position < text.Length && char.IsWhiteSpace(text[_position]))
            {
                _position++;
            }
        }
    }
}
