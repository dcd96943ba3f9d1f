using System.Globalization;

namespace Refly.ModelSandbox.Generation;

/// <summary>
/// Plausible marketing copy from a prompt's facts, as an 8B model asked for it would write: a subject, a preview text
/// or an opening paragraph, chosen by the field's name. It uses only the facts (tier, category, product, city, the
/// original subject and preview, the brief's offer and tone), adds no number of its own and never two colons, and
/// picks its phrasing with the caller's seeded dice, so the same prompt and seed give the same copy.
/// </summary>
internal static class CopyWriter
{
    public enum Kind
    {
        Subject,
        Preview,
        Paragraph,
        Word,
    }

    public static Kind KindOf(string? fieldName)
    {
        var name = (fieldName ?? string.Empty).ToLowerInvariant();
        if (name.Contains("subject", StringComparison.Ordinal) || name.Contains("title", StringComparison.Ordinal) || name.Contains("headline", StringComparison.Ordinal))
        {
            return Kind.Subject;
        }
        if (name.Contains("preview", StringComparison.Ordinal) || name.Contains("preheader", StringComparison.Ordinal) || name.Contains("teaser", StringComparison.Ordinal))
        {
            return Kind.Preview;
        }
        if (name is "tone" or "language" or "lang" or "category" or "label" or "name" or "tier")
        {
            return Kind.Word;
        }
        return Kind.Paragraph;
    }

    public static string Write(Kind kind, PromptFacts facts, IReadOnlyDictionary<string, string>? scope, Random dice)
    {
        var tier = facts.Get(scope, "loyalty_tier", "tier", "segment");
        var category = facts.Get(scope, "favorite_category", "favourite_category", "category", "interest");
        var product = facts.Get(scope, "last_product_viewed", "product", "last_product");
        var city = facts.Get(scope, "city");
        var country = facts.Get(scope, "country");
        var firstName = facts.Get(scope, "first_name", "firstname");
        var recency = facts.Get(scope, "order_recency", "recency", "recency_band", "order_recency_band");
        var originalSubject = facts.Get(scope, "original_subject", "subject");
        var originalPreview = facts.Get(scope, "original_preview_text", "original_preview", "preview_text");
        var offer = facts.Get(scope, "offer", "goal");
        var campaign = facts.Get(scope, "campaign", "campaign_name");
        var place = city ?? country;

        return kind switch
        {
            Kind.Subject => Subject(dice, originalSubject ?? offer ?? campaign ?? "Something new for you", firstName, tier, category, product, place),
            Kind.Preview => Preview(dice, originalPreview, tier, category, product, place),
            Kind.Word => tier ?? category ?? "friendly",
            _ => Paragraph(dice, originalSubject, originalPreview, offer, tier, category, product, place, recency),
        };
    }

    private static string Subject(Random dice, string original, string? firstName, string? tier, string? category, string? product, string? place)
    {
        var options = new List<string> { $"{original}, picked for you" };
        if (category is not null)
        {
            options.Add($"{original} for {Lower(category)} lovers");
            options.Add($"New in {Lower(category)} - {original}");
        }
        if (tier is not null)
        {
            options.Add($"{original} - a {tier} member first look");
        }
        if (product is not null)
        {
            options.Add($"{original}, with ideas to go with {product}");
        }
        if (place is not null)
        {
            options.Add($"{original}, now in {place}");
        }
        var subject = Pick(dice, options);
        return firstName is not null && dice.Next(2) == 0 ? $"{firstName}, {subject}" : subject;
    }

    private static string Preview(Random dice, string? original, string? tier, string? category, string? product, string? place)
    {
        var options = new List<string> { "A few picks we think you will like." };
        if (category is not null)
        {
            options.Add($"Fresh {Lower(category)} picks, chosen with you in mind.");
        }
        if (tier is not null)
        {
            options.Add($"Your {tier} perks are waiting inside.");
        }
        if (product is not null)
        {
            options.Add($"Still thinking about {product}? Take another look.");
        }
        if (place is not null && category is not null)
        {
            options.Add($"What {place} is loving in {Lower(category)} right now.");
        }
        var preview = Pick(dice, options);
        return original is { Length: > 0 } && dice.Next(3) == 0 ? $"{preview} {original}" : preview;
    }

    private static string Paragraph(Random dice, string? subject, string? preview, string? offer, string? tier, string? category, string? product, string? place, string? recency)
    {
        var opening = new List<string> { "We put this together with you in mind." };
        if (tier is not null && category is not null)
        {
            opening.Add($"As a {tier} member with an eye for {Lower(category)}, you get the first look at what just arrived.");
        }
        else if (category is not null)
        {
            opening.Add($"You love {Lower(category)}, so we picked the new pieces we think you will reach for first.");
        }
        if (product is not null)
        {
            opening.Add($"Since you last looked at {product}, we found a few things that go with it.");
        }
        if (recency is not null && recency.Contains("lapsed", StringComparison.OrdinalIgnoreCase))
        {
            opening.Add("It has been a while, and a lot has changed since your last visit.");
        }
        var second = new List<string> { "Take a look before the best ones go." };
        if (offer is not null)
        {
            second.Add($"{Sentence(offer)} Here is what we picked for you.");
        }
        else if (subject is not null)
        {
            second.Add($"{Sentence(subject)} Here is what we picked for you.");
        }
        if (preview is not null)
        {
            second.Add(Sentence(preview));
        }
        if (place is not null)
        {
            second.Add($"It is a favourite in {place} this season.");
        }
        return $"{Pick(dice, opening)} {Pick(dice, second)}";
    }

    /// <summary>Cuts <paramref name="text"/> to <paramref name="maxLength"/> at a word boundary.</summary>
    public static string Fit(string text, int? maxLength, int? minLength = null)
    {
        if (minLength is { } min && text.Length < min)
        {
            text = text.PadRight(min, '.');
        }
        if (maxLength is not { } max || text.Length <= max)
        {
            return text;
        }
        var cut = text[..max];
        var space = cut.LastIndexOf(' ');
        return (space > max / 2 ? cut[..space] : cut).TrimEnd(' ', ',', '-');
    }

    /// <summary>A phrasing that uses a fact when there is one: the generic first option only when no fact applies.</summary>
    private static string Pick(Random dice, List<string> options) =>
        options.Count == 1 ? options[0] : options[1 + dice.Next(options.Count - 1)];

    private static string Sentence(string text)
    {
        text = text.Trim();
        return text.Length == 0 || ".!?".Contains(text[^1], StringComparison.Ordinal) ? text : text + ".";
    }

    private static string Lower(string text) => text.ToLower(CultureInfo.InvariantCulture);
}
