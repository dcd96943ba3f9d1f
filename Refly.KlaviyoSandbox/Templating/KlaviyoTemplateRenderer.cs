using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Refly.KlaviyoSandbox.Templating;

/// <summary>A template the renderer cannot read (unclosed tag, unknown filter or tag).</summary>
public sealed class TemplateSyntaxException(string message) : Exception(message);

/// <summary>
/// The subset of Klaviyo's (Django-like) template language that the product and the seeded templates use:
/// <c>{{ variable.path }}</c>, string literals in either quote kind, the filters <c>lookup:'key'</c> and
/// <c>default:value</c>, <c>{% if [not] expr %}...{% elif %}...{% else %}...{% endif %}</c>, comments
/// <c>{# #}</c>, and Klaviyo's link tags (<c>unsubscribe</c>, <c>manage_preferences</c>, <c>web_view</c>).
/// Like Klaviyo, a variable without a value renders nothing and is false; anything else the sandbox does not know
/// is refused rather than guessed. Values are written as they are (no HTML escaping: the product writes its intro
/// as HTML and Klaviyo shows profile properties as written).
/// </summary>
public static partial class KlaviyoTemplateRenderer
{
    private static readonly Dictionary<string, string> LinkTags = new(StringComparer.Ordinal)
    {
        ["unsubscribe"] = "<a href=\"https://sandbox.klaviyo.invalid/unsubscribe\">Unsubscribe</a>",
        ["manage_preferences"] = "<a href=\"https://sandbox.klaviyo.invalid/preferences\">Manage preferences</a>",
        ["web_view"] = "<a href=\"https://sandbox.klaviyo.invalid/web-view\">View in browser</a>",
    };

    /// <summary>Renders <paramref name="template"/> against <paramref name="context"/> (a JSON object).</summary>
    public static string Render(string template, JsonElement context)
    {
        ArgumentNullException.ThrowIfNull(template);
        var nodes = Parse(Tokenize(template));
        var sb = new StringBuilder(template.Length);
        foreach (var node in nodes)
        {
            node.Write(sb, context);
        }
        return sb.ToString();
    }

    // Like Django's lexer: a tag never spans a line break.
    [GeneratedRegex(@"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})")]
    private static partial Regex TagPattern();

    private static List<string> Tokenize(string template) => [.. TagPattern().Split(template).Where(t => t.Length > 0)];

    private static List<Node> Parse(List<string> tokens)
    {
        var position = 0;
        var nodes = ParseUntil(tokens, ref position, [], out var end);
        if (end is not null)
        {
            throw new TemplateSyntaxException($"Unexpected '{{% {end} %}}'.");
        }
        return nodes;
    }

    private static List<Node> ParseUntil(List<string> tokens, ref int position, string[] enders, out string? endedBy)
    {
        var nodes = new List<Node>();
        while (position < tokens.Count)
        {
            var token = tokens[position++];
            if (IsTag(token, "{{", "}}"))
            {
                nodes.Add(new OutputNode(Expression.Parse(token[2..^2])));
            }
            else if (IsTag(token, "{#", "#}"))
            {
                continue;
            }
            else if (IsTag(token, "{%", "%}"))
            {
                var inner = token[2..^2].Trim();
                var word = inner.Split(' ', 2)[0];
                if (enders.Contains(word))
                {
                    endedBy = inner;
                    return nodes;
                }
                if (word == "if")
                {
                    nodes.Add(ParseIf(tokens, ref position, inner[2..]));
                }
                else if (LinkTags.TryGetValue(inner, out var link))
                {
                    nodes.Add(new TextNode(link));
                }
                else
                {
                    throw new TemplateSyntaxException($"Unknown tag '{{% {inner} %}}'.");
                }
            }
            else
            {
                nodes.Add(new TextNode(token));
            }
        }
        endedBy = null;
        if (enders.Length > 0)
        {
            throw new TemplateSyntaxException($"Unclosed tag: expected one of {string.Join(", ", enders.Select(e => $"{{% {e} %}}"))}.");
        }
        return nodes;
    }

    private static IfNode ParseIf(List<string> tokens, ref int position, string condition)
    {
        var branches = new List<(Condition?, List<Node>)>();
        var current = Condition.Parse(condition);
        while (true)
        {
            var body = ParseUntil(tokens, ref position, ["elif", "else", "endif"], out var end);
            branches.Add((current, body));
            var word = end!.Split(' ', 2)[0];
            if (word == "endif")
            {
                return new IfNode(branches);
            }
            if (word == "else")
            {
                var elseBody = ParseUntil(tokens, ref position, ["endif"], out _);
                branches.Add((null, elseBody));
                return new IfNode(branches);
            }
            current = Condition.Parse(end[4..]);
        }
    }

    private static bool IsTag(string token, string open, string close) =>
        token.Length >= 4 && token.StartsWith(open, StringComparison.Ordinal) && token.EndsWith(close, StringComparison.Ordinal);

    private abstract record Node
    {
        public abstract void Write(StringBuilder sb, JsonElement context);
    }

    private sealed record TextNode(string Text) : Node
    {
        public override void Write(StringBuilder sb, JsonElement context) => sb.Append(Text);
    }

    private sealed record OutputNode(Expression Expression) : Node
    {
        public override void Write(StringBuilder sb, JsonElement context) => sb.Append(Value.Text(Expression.Evaluate(context)));
    }

    private sealed record IfNode(List<(Condition? Condition, List<Node> Body)> Branches) : Node
    {
        public override void Write(StringBuilder sb, JsonElement context)
        {
            foreach (var (condition, body) in Branches)
            {
                if (condition is null || condition.IsTrue(context))
                {
                    foreach (var node in body)
                    {
                        node.Write(sb, context);
                    }
                    return;
                }
            }
        }
    }

    private sealed record Condition(bool Negated, Expression Expression)
    {
        public static Condition Parse(string text)
        {
            var trimmed = text.Trim();
            if (trimmed.Length == 0)
            {
                throw new TemplateSyntaxException("'if' needs a condition.");
            }
            return trimmed.StartsWith("not ", StringComparison.Ordinal)
                ? new Condition(true, Expression.Parse(trimmed[4..]))
                : new Condition(false, Expression.Parse(trimmed));
        }

        public bool IsTrue(JsonElement context) => Value.Truthy(Expression.Evaluate(context)) != Negated;
    }

    /// <summary>A value: a JSON element from the context, a string literal, or nothing (null).</summary>
    private static class Value
    {
        public static bool Truthy(object? value) => value switch
        {
            null => false,
            string s => s.Length > 0,
            JsonElement e => e.ValueKind switch
            {
                JsonValueKind.String => e.GetString()!.Length > 0,
                JsonValueKind.Number => e.GetDouble() != 0,
                JsonValueKind.True => true,
                JsonValueKind.Array => e.GetArrayLength() > 0,
                JsonValueKind.Object => e.EnumerateObject().Any(),
                _ => false,
            },
            _ => true,
        };

        public static string Text(object? value) => value switch
        {
            null => string.Empty,
            string s => s,
            JsonElement e => e.ValueKind switch
            {
                JsonValueKind.String => e.GetString()!,
                JsonValueKind.Number => e.GetRawText(),
                JsonValueKind.True => "True",
                JsonValueKind.False => "False",
                JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
                _ => e.GetRawText(),
            },
            _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty,
        };

        public static object? Member(object? value, string key) =>
            value is JsonElement { ValueKind: JsonValueKind.Object } e && e.TryGetProperty(key, out var member)
                ? member
                : null;
    }

    private abstract record Operand
    {
        public abstract object? Evaluate(JsonElement context);
    }

    private sealed record Literal(string Text) : Operand
    {
        public override object? Evaluate(JsonElement context) => Text;
    }

    private sealed record Variable(string[] Path) : Operand
    {
        public override object? Evaluate(JsonElement context)
        {
            object? value = context;
            foreach (var part in Path)
            {
                value = Value.Member(value, part);
            }
            return value;
        }
    }

    private sealed record Filter(string Name, Operand? Argument);

    private sealed record Expression(Operand Primary, List<Filter> Filters)
    {
        public object? Evaluate(JsonElement context)
        {
            var value = Primary.Evaluate(context);
            foreach (var filter in Filters)
            {
                var argument = filter.Argument?.Evaluate(context);
                value = filter.Name switch
                {
                    "lookup" => Value.Member(value, Value.Text(argument)),
                    "default" => Value.Truthy(value) ? value : argument,
                    _ => throw new InvalidOperationException(),
                };
            }
            return value;
        }

        public static Expression Parse(string text)
        {
            var reader = new Reader(text);
            reader.SkipSpaces();
            var primary = reader.Operand() ?? throw new TemplateSyntaxException($"Empty or unreadable expression '{text.Trim()}'.");
            var filters = new List<Filter>();
            reader.SkipSpaces();
            while (reader.TryConsume('|'))
            {
                var name = reader.Identifier() ?? throw new TemplateSyntaxException($"A filter name is missing in '{text.Trim()}'.");
                if (name is not ("lookup" or "default"))
                {
                    throw new TemplateSyntaxException($"Unknown filter '{name}' (the sandbox knows lookup and default).");
                }
                Operand? argument = null;
                if (reader.TryConsume(':'))
                {
                    argument = reader.Operand() ?? throw new TemplateSyntaxException($"The argument of '{name}' is missing in '{text.Trim()}'.");
                }
                else
                {
                    throw new TemplateSyntaxException($"'{name}' needs an argument in '{text.Trim()}'.");
                }
                filters.Add(new Filter(name, argument));
                reader.SkipSpaces();
            }
            if (!reader.AtEnd)
            {
                throw new TemplateSyntaxException($"Unexpected text in '{text.Trim()}'.");
            }
            return new Expression(primary, filters);
        }
    }

    private ref struct Reader(string text)
    {
        private readonly string _text = text;
        private int _at;

        public readonly bool AtEnd => _at >= _text.Length;

        public void SkipSpaces()
        {
            while (_at < _text.Length && _text[_at] == ' ')
            {
                _at++;
            }
        }

        public bool TryConsume(char c)
        {
            if (_at < _text.Length && _text[_at] == c)
            {
                _at++;
                return true;
            }
            return false;
        }

        public string? Identifier()
        {
            var start = _at;
            while (_at < _text.Length && (char.IsAsciiLetterOrDigit(_text[_at]) || _text[_at] is '_' or '.'))
            {
                _at++;
            }
            return _at > start ? _text[start.._at] : null;
        }

        public Operand? Operand()
        {
            if (_at < _text.Length && _text[_at] is '\'' or '"')
            {
                var quote = _text[_at];
                var close = _text.IndexOf(quote, _at + 1);
                if (close < 0)
                {
                    throw new TemplateSyntaxException($"Unclosed string literal in '{_text.Trim()}'.");
                }
                var literal = _text[(_at + 1)..close];
                _at = close + 1;
                return new Literal(literal);
            }
            var name = Identifier();
            if (name is null)
            {
                return null;
            }
            return char.IsAsciiDigit(name[0]) ? new Literal(name) : new Variable(name.Split('.'));
        }
    }
}
