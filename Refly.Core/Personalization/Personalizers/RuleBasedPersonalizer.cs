using System.Globalization;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>The kind of contact the rule-based personalizer writes for, from the profile's attributes.</summary>
public enum ContactSegment
{
    /// <summary>Nothing useful known beyond (maybe) a first name.</summary>
    Unknown,

    /// <summary>Only a city or country is known.</summary>
    Local,

    /// <summary>A <c>favorite_category</c> is known.</summary>
    CategoryFan,

    /// <summary>A <c>last_product_viewed</c> is known.</summary>
    Browser,

    /// <summary>Ordered within the last <see cref="RuleBasedPersonalizer.RecentOrderDays"/> days.</summary>
    RecentBuyer,

    /// <summary>No order for at least <see cref="RuleBasedPersonalizer.LapsedAfterDays"/> days.</summary>
    Lapsed,

    /// <summary>A top <c>loyalty_tier</c> (gold, platinum, diamond, vip, elite, black).</summary>
    Vip,
}

/// <summary>
/// The default personalizer: offline, deterministic, fast. It classifies the contact (<see cref="ContactSegment"/>)
/// and writes the subject, preview text and an opening paragraph with phrasings of that segment, chosen by a
/// stable hash of the profile id and message id, so that a contact gets the same content on every run and
/// contacts of one campaign get varied content. The original subject stays in every personalized subject
/// (the campaign's message is the marketer's); a phrasing that needs a missing attribute or would be too long
/// gives way to the next one. Reads <c>favorite_category</c>, <c>last_product_viewed</c>, <c>loyalty_tier</c>
/// and <c>days_since_last_order</c> from the custom properties, plus first name, city and country.
/// </summary>
public sealed class RuleBasedPersonalizer : IPersonalizer
{
    /// <summary>The value of <see cref="Name"/>.</summary>
    public const string PersonalizerName = "rule-based";

    /// <summary>Days without an order from which a contact is lapsed.</summary>
    public const int LapsedAfterDays = 90;

    /// <summary>Days since the last order up to which a contact is a recent buyer.</summary>
    public const int RecentOrderDays = 30;

    /// <summary>Custom property names the personalizer reads.</summary>
    public const string FavoriteCategoryProperty = "favorite_category";

    /// <inheritdoc cref="FavoriteCategoryProperty"/>
    public const string LastProductViewedProperty = "last_product_viewed";

    /// <inheritdoc cref="FavoriteCategoryProperty"/>
    public const string LoyaltyTierProperty = "loyalty_tier";

    /// <inheritdoc cref="FavoriteCategoryProperty"/>
    public const string DaysSinceLastOrderProperty = "days_since_last_order";

    private const int MaxNameLength = 40;

    /// <inheritdoc />
    public string Name => PersonalizerName;

    /// <inheritdoc />
    public ValueTask<PersonalizedContent> PersonalizeAsync(PersonalizationRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Personalize(request));
    }

    /// <summary>
    /// The synchronous core of <see cref="PersonalizeAsync"/>: pure and thread-safe. It follows the request's brief: only
    /// the facts it allows, phrasings that fit the campaign's kind (<see cref="CampaignKinds"/>: no win-back line on an
    /// early-access email), its tone (<see cref="ToneStyles"/>), never a word to avoid in what Refly adds, never a second
    /// separating colon ("Early access: 30% off" gets no "Gold members: " before it) or a repeated phrase in a subject; a brief in another language than English keeps the original content.
    /// </summary>
    public PersonalizedContent Personalize(PersonalizationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var brief = request.Brief ?? CampaignBrief.Default;
        if (CampaignBriefValidator.PrimaryLanguage(brief) != "en")
        {
            // The phrasings are English: a German email keeps its German original rather than get English copy.
            return PersonalizedContent.Fallback($"language {brief.Language}: the rule-based copy is English only");
        }

        var c = Facts.From(request, brief);
        var hash = StableHash.Fnv1a64(
            request.Variant == 0 ? request.Profile.Id : string.Create(CultureInfo.InvariantCulture, $"{request.Profile.Id}~{request.Variant}"), request.MessageId);
        var phrases = Phrasebook.For(c.Segment, c.Kind);

        string? subject = null;
        if (c.Subject.Length > 0 && !ContentGuardrails.ContainsTemplateSyntax(request.Original.Subject))
        {
            subject = Pick(phrases.Subjects, in c, hash, ContentGuardrails.MaxSubjectLength, Part.Subject);
        }

        var hook = Pick(phrases.Previews, in c, hash >> 21, ContentGuardrails.MaxPreviewTextLength, Part.Preview);
        string? preview = hook;
        if (hook is not null && c.Preview.Length > 0 && !ContentGuardrails.ContainsTemplateSyntax(request.Original.PreviewText)
            && hook.Length + 1 + c.Preview.Length <= ContentGuardrails.MaxPreviewTextLength)
        {
            preview = string.Concat(hook, " ", c.Preview);
        }

        var greeting = PickGreeting(in c, hash >> 13);
        var body = Pick(phrases.Intros, in c, hash >> 42, ContentGuardrails.MaxIntroLength, Part.Intro);
        var intro = body is null || greeting is null ? null : string.Concat(greeting, " ", body);

        return new PersonalizedContent(
            NullIfEmpty(ContentGuardrails.ToSafeText(subject, ContentGuardrails.MaxSubjectLength)),
            NullIfEmpty(ContentGuardrails.ToSafeText(preview, ContentGuardrails.MaxPreviewTextLength)),
            NullIfEmpty(ContentGuardrails.ToSafeHtmlParagraph(intro)));
    }

    /// <summary>The segment the personalizer writes for: VIP, then lapsed, recent buyer, browser, category fan, local, unknown.</summary>
    public static ContactSegment Classify(KlaviyoProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var tier = Property(profile, LoyaltyTierProperty);
        var days = ParseDays(Property(profile, DaysSinceLastOrderProperty));
        return Classify(
            IsVipTier(tier),
            days,
            Property(profile, LastProductViewedProperty).Length > 0,
            Property(profile, FavoriteCategoryProperty).Length > 0,
            ContentGuardrails.SanitizeProfileValue(profile.City).Length > 0 || ContentGuardrails.SanitizeProfileValue(profile.Country).Length > 3);
    }

    /// <summary>
    /// The first name to greet the contact with, as Refly writes it (sanitized, re-cased when all lower or all upper);
    /// empty when the profile has none or the field holds an e-mail address or digits (data-entry noise).
    /// </summary>
    public static string GreetingName(KlaviyoProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var name = ContentGuardrails.SanitizeProfileValue(profile.FirstName, MaxNameLength);
        return name.Contains('@') || name.AsSpan().IndexOfAnyInRange('0', '9') >= 0 ? string.Empty : NiceCase(name);
    }

    private static ContactSegment Classify(bool vip, int? days, bool hasProduct, bool hasCategory, bool hasPlace) =>
        vip ? ContactSegment.Vip
        : days >= LapsedAfterDays ? ContactSegment.Lapsed
        : days is >= 0 and <= RecentOrderDays ? ContactSegment.RecentBuyer
        : hasProduct ? ContactSegment.Browser
        : hasCategory ? ContactSegment.CategoryFan
        : hasPlace ? ContactSegment.Local
        : ContactSegment.Unknown;

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    private enum Part
    {
        Subject,
        Preview,
        Intro,
    }

    // Starts at the hashed phrasing and walks on until one applies, fits and follows the brief.
    private static string? Pick(Phrase[] phrases, in Facts c, ulong hash, int maxLength, Part part)
    {
        var start = (int)(hash % (ulong)phrases.Length);
        for (var k = 0; k < phrases.Length; k++)
        {
            var text = phrases[(start + k) % phrases.Length](in c);
            if (text is null)
            {
                continue;
            }

            if (c.Style == ToneStyle.Formal && part != Part.Subject)
            {
                text = text.Replace('!', '.');
            }

            if (text.Length <= maxLength && Follows(text, in c, part))
            {
                return text;
            }
        }

        return null;
    }

    private static string? PickGreeting(in Facts c, ulong hash)
    {
        var greetings = Phrasebook.Greetings(c.Style, c.HasName);
        var start = (int)(hash % (ulong)greetings.Length);
        for (var k = 0; k < greetings.Length; k++)
        {
            var text = greetings[(start + k) % greetings.Length](in c);
            if (text is not null && ContentGuardrails.FindBannedWord(text, c.Avoid) is null)
            {
                return text;
            }
        }

        return null;
    }

    // What Refly adds never holds a word to avoid; a subject gets no second colon, no phrase the original already says
    // ("Early access: 30% off — Gold early access") and, in a formal tone, no exclamation mark. The marketer's own words are
    // theirs: a subject is checked on what the phrasing adds to it.
    private static bool Follows(string text, in Facts c, Part part)
    {
        if (part != Part.Subject)
        {
            return ContentGuardrails.FindBannedWord(text, c.Avoid) is null;
        }

        var at = text.IndexOf(c.Subject, StringComparison.Ordinal);
        var added = at < 0 ? text : string.Concat(text.AsSpan(0, at), " \u2022 ", text.AsSpan(at + c.Subject.Length));
        return ContentGuardrails.FindBannedWord(added, c.Avoid) is null
            && SeparatorColons(text) <= Math.Max(1, SeparatorColons(c.Subject))
            && !(c.Style == ToneStyle.Formal && added.Contains('!', StringComparison.Ordinal))
            && !SharesPhrase(added, c.Subject);
    }

    // Colons that separate ("Early access: 30% off"), not those of a link or a time ("https://", "10:00").
    private static int SeparatorColons(string text)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ':' && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1])))
            {
                count++;
            }
        }

        return count;
    }

    private static bool SharesPhrase(string added, string subject)
    {
        var said = new HashSet<string>(Bigrams(subject), StringComparer.OrdinalIgnoreCase);
        return said.Count > 0 && Bigrams(added).Any(said.Contains);

        static IEnumerable<string> Bigrams(string text)
        {
            string? previous = null;
            foreach (var word in text.Split((char[])[' ', ',', '.', ':', ';', '!', '?', '(', ')', '\u2014', '\u2022', '-'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (previous is not null)
                {
                    yield return string.Concat(previous, " ", word);
                }

                previous = word;
            }
        }
    }

    private static string Property(KlaviyoProfile profile, string name) =>
        profile.Properties is not null && profile.Properties.TryGetValue(name, out var value)
            ? ContentGuardrails.SanitizeProfileValue(value)
            : string.Empty;

    private static bool IsVipTier(string tier) =>
        tier.Length > 0
        && (tier.Equals("gold", StringComparison.OrdinalIgnoreCase)
            || tier.Equals("platinum", StringComparison.OrdinalIgnoreCase)
            || tier.Equals("diamond", StringComparison.OrdinalIgnoreCase)
            || tier.Equals("elite", StringComparison.OrdinalIgnoreCase)
            || tier.Equals("black", StringComparison.OrdinalIgnoreCase)
            || tier.Contains("vip", StringComparison.OrdinalIgnoreCase));

    private static int? ParseDays(string value)
    {
        if (value.Length == 0)
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var days))
        {
            return days;
        }

        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 0 and < int.MaxValue
            ? (int)d
            : null;
    }

    // "anna" and "ANNA MARIE" become "Anna" and "Anna Marie"; mixed case ("McKenzie", "iPhone") is kept.
    private static string NiceCase(string value, bool lowerIfCapitalizedWord = false)
    {
        if (value.Length == 0)
        {
            return value;
        }

        bool anyUpper = false, anyLower = false;
        var uppers = 0;
        foreach (var ch in value)
        {
            if (char.IsUpper(ch))
            {
                anyUpper = true;
                uppers++;
            }
            else if (char.IsLower(ch))
            {
                anyLower = true;
            }
        }

        if (lowerIfCapitalizedWord)
        {
            // Categories read mid-sentence: "Shoes" -> "shoes", but "LEGO" or "iPhone cases" stay.
            return uppers == 1 && char.IsUpper(value[0]) ? value.ToLowerInvariant() : value;
        }

        // Mixed case is deliberate; short all-caps is an abbreviation ("NYC", "UK").
        if ((anyUpper && anyLower) || (!anyLower && value.Length <= 3))
        {
            return value;
        }

        // Only re-case what looks like a name; anything else is shown exactly as the contact's data has it.
        foreach (var ch in value)
        {
            if (!(char.IsLetter(ch) || ch is ' ' or '-' or '\'' or '’' or '.'))
            {
                return value;
            }
        }

        return string.Create(value.Length, value, static (span, source) =>
        {
            var startOfWord = true;
            for (var i = 0; i < source.Length; i++)
            {
                var ch = source[i];
                span[i] = startOfWord ? char.ToUpperInvariant(ch) : char.ToLowerInvariant(ch);
                startOfWord = ch is ' ' or '-' or '\'';
            }
        });
    }

    private delegate string? Phrase(in Facts c);

    /// <summary>What the phrasings may use: sanitized, plain-text profile facts.</summary>
    private readonly struct Facts
    {
        public required ContactSegment Segment { get; init; }
        public required string FirstName { get; init; }
        public required string Place { get; init; }
        public required string Category { get; init; }
        public required string Product { get; init; }
        public required string Tier { get; init; }
        public required int? Days { get; init; }
        public required string Subject { get; init; }
        public required string Preview { get; init; }
        public required CampaignKind Kind { get; init; }
        public required ToneStyle Style { get; init; }
        public required IReadOnlyList<string> Avoid { get; init; }

        public bool HasName => FirstName.Length > 0;
        public bool HasPlace => Place.Length > 0;
        public bool HasCategory => Category.Length > 0;

        // A fact the brief does not allow is read as unknown: no phrasing can use it.
        public static Facts From(PersonalizationRequest request, CampaignBrief brief)
        {
            var profile = request.Profile;

            var city = brief.Allows(BriefFact.Location) ? NiceCase(ContentGuardrails.SanitizeProfileValue(profile.City)) : string.Empty;
            // A country code ("DE") does not read as a place in a sentence; a country name does.
            var country = brief.Allows(BriefFact.Location) ? ContentGuardrails.SanitizeProfileValue(profile.Country) : string.Empty;
            var place = city.Length > 0 ? city : country.Length > 3 ? NiceCase(country) : string.Empty;
            var tier = brief.Allows(BriefFact.LoyaltyTier) ? Property(profile, LoyaltyTierProperty) : string.Empty;
            var days = brief.Allows(BriefFact.OrderRecency) ? ParseDays(Property(profile, DaysSinceLastOrderProperty)) : null;
            var product = brief.Allows(BriefFact.LastProductViewed) ? Property(profile, LastProductViewedProperty) : string.Empty;
            var category = brief.Allows(BriefFact.FavoriteCategory)
                ? NiceCase(Property(profile, FavoriteCategoryProperty), lowerIfCapitalizedWord: true)
                : string.Empty;
            var kind = CampaignKinds.Classify(brief.Goal, request.CampaignName, request.Original.Subject);
            // Win-back lines ("It's been 252 days since your last order") do not belong on an early-access email.
            var lapsedFits = kind != CampaignKind.EarlyAccess;
            var segmentDays = !lapsedFits && days >= LapsedAfterDays ? null : days;

            return new Facts
            {
                Segment = Classify(IsVipTier(tier), segmentDays, product.Length > 0, category.Length > 0, place.Length > 0),
                Kind = kind,
                Style = ToneStyles.Of(brief.Tone),
                Avoid = brief.Avoid,
                FirstName = GreetingName(profile),
                Place = place,
                Category = category,
                Product = product,
                Tier = tier.Length <= 3 ? tier.ToUpperInvariant() : NiceCase(tier),
                Days = days,
                Subject = ContentGuardrails.SanitizeProfileValue(request.Original.Subject, ContentGuardrails.MaxSubjectLength),
                Preview = ContentGuardrails.SanitizeProfileValue(request.Original.PreviewText, ContentGuardrails.MaxPreviewTextLength),
            };
        }
    }

    private sealed record Phrases(Phrase[] Subjects, Phrase[] Previews, Phrase[] Intros);

    /// <summary>The phrasings, per segment. A phrasing returns null when it needs a fact the contact lacks.</summary>
    private static class Phrasebook
    {
        private static readonly Phrase[] _namedGreetings =
        [
            static (in Facts c) => $"Hi {c.FirstName},",
            static (in Facts c) => $"Hello {c.FirstName},",
            static (in Facts c) => $"Dear {c.FirstName},",
            static (in Facts c) => $"Hey {c.FirstName},",
        ];

        private static readonly Phrase[] _anonymousGreetings =
        [
            static (in Facts c) => "Hi there,",
            static (in Facts c) => "Hello,",
            static (in Facts c) => "Hello there,",
        ];

        private static readonly Phrase[] _formalNamedGreetings =
        [
            static (in Facts c) => $"Dear {c.FirstName},",
            static (in Facts c) => $"Hello {c.FirstName},",
        ];

        private static readonly Phrase[] _formalAnonymousGreetings =
        [
            static (in Facts c) => "Hello,",
            static (in Facts c) => "Dear customer,",
        ];

        private static readonly Phrase[] _playfulNamedGreetings =
        [
            static (in Facts c) => $"Hey {c.FirstName},",
            static (in Facts c) => $"Hi {c.FirstName},",
            static (in Facts c) => $"Hey there {c.FirstName},",
        ];

        private static readonly Phrase[] _playfulAnonymousGreetings =
        [
            static (in Facts c) => "Hey there,",
            static (in Facts c) => "Hi there,",
        ];

        public static Phrase[] Greetings(ToneStyle style, bool named) => (style, named) switch
        {
            (ToneStyle.Formal, true) => _formalNamedGreetings,
            (ToneStyle.Formal, false) => _formalAnonymousGreetings,
            (ToneStyle.Playful, true) => _playfulNamedGreetings,
            (ToneStyle.Playful, false) => _playfulAnonymousGreetings,
            (_, true) => _namedGreetings,
            _ => _anonymousGreetings,
        };

        private static readonly Phrases _vip = new(
            [
                static (in Facts c) => c.HasName ? $"{c.FirstName}, your {c.Tier} preview: {c.Subject}" : null,
                static (in Facts c) => $"For our {c.Tier} members: {c.Subject}",
                static (in Facts c) => $"{c.Subject} — {c.Tier} early access",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, first look for {c.Tier} members: {c.Subject}" : $"First look for {c.Tier} members: {c.Subject}",
                static (in Facts c) => c.HasPlace ? $"{c.Subject} (reserved for {c.Tier} members in {c.Place})" : null,
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — reserved for {c.Tier} members" : $"{c.Subject} — reserved for {c.Tier} members",
            ],
            [
                static (in Facts c) => $"As a {c.Tier} member, you see it before everyone else.",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, your {c.Tier} perks apply to everything inside." : $"Your {c.Tier} perks apply to everything inside.",
                static (in Facts c) => $"Thank you for being one of our {c.Tier} members.",
            ],
            [
                static (in Facts c) => $"as one of our {c.Tier} members you get the first look at what's below, before it goes out to everyone else.",
                static (in Facts c) => $"thank you for being a {c.Tier} member. Everything below was picked with you in mind, and your perks apply as always.",
                static (in Facts c) => c.HasPlace
                    ? $"your {c.Tier} status gets you in early. Here's what we've been saving for our members in {c.Place}."
                    : $"your {c.Tier} status gets you in early. Here's what we've been saving for you.",
            ]);

        // VIP lines for a campaign that is no early access: thanks, no claim of a first look.
        private static readonly Phrases _vipGeneral = new(
            [
                static (in Facts c) => c.HasName ? $"{c.FirstName}, for our {c.Tier} members: {c.Subject}" : $"For our {c.Tier} members: {c.Subject}",
                static (in Facts c) => $"{c.Subject} — with thanks to our {c.Tier} members",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — with our {c.Tier} thanks" : null,
                static (in Facts c) => c.HasPlace ? $"{c.Subject} (for our {c.Tier} members in {c.Place})" : null,
            ],
            [
                static (in Facts c) => $"Thank you for being one of our {c.Tier} members.",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, your {c.Tier} perks apply as always." : $"Your {c.Tier} perks apply as always.",
                static (in Facts c) => $"A little something for our {c.Tier} members.",
            ],
            [
                static (in Facts c) => $"thank you for being a {c.Tier} member. Everything below was picked with you in mind, and your perks apply as always.",
                static (in Facts c) => $"as one of our {c.Tier} members, you're among the first we think of. Here's what's new.",
                static (in Facts c) => c.HasPlace
                    ? $"here's what's new for our {c.Tier} members in {c.Place}, picked with you in mind."
                    : $"here's what's new for our {c.Tier} members, picked with you in mind.",
            ]);

        private static readonly Phrases _lapsed = new(
            [
                static (in Facts c) => c.HasName ? $"{c.FirstName}, we've missed you: {c.Subject}" : $"We've missed you: {c.Subject}",
                static (in Facts c) => c.HasName ? $"It's been a while, {c.FirstName}. {c.Subject}" : $"It's been a while. {c.Subject}",
                static (in Facts c) => $"{c.Subject} — worth coming back for",
                static (in Facts c) => c.HasCategory ? $"New {c.Category} since your last visit: {c.Subject}" : null,
                static (in Facts c) => c.HasName ? $"Welcome back, {c.FirstName}: {c.Subject}" : null,
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — we've missed you" : $"{c.Subject} — we've missed you",
            ],
            [
                static (in Facts c) => c.Days >= 365 ? "It's been over a year: here's what's new." : $"It's been {c.Days} days since your last order: here's what's new.",
                static (in Facts c) => "A lot has changed since you last stopped by.",
                static (in Facts c) => c.HasName ? $"Come see what's new, {c.FirstName}." : "Come see what's new.",
            ],
            [
                static (in Facts c) => "it's been a while since your last order, and a lot has changed. Here's what's new since you were last here.",
                static (in Facts c) => c.HasCategory
                    ? $"we've missed you! We've added plenty of new {c.Category} since your last visit. Take a look below."
                    : "we've missed you! Take a look below at what we've been up to.",
                static (in Facts c) => c.Days >= 365
                    ? "it's been more than a year since we last saw you, so we picked out a few things we think you'll like."
                    : $"it has been {c.Days} days since we last saw you, so we picked out a few things we think you'll like.",
            ]);

        private static readonly Phrases _recent = new(
            [
                static (in Facts c) => c.HasName ? $"Thanks for your order, {c.FirstName}! {c.Subject}" : $"Thanks for your order! {c.Subject}",
                static (in Facts c) => $"{c.Subject} — pairs well with your last order",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, one more thing: {c.Subject}" : null,
            ],
            [
                static (in Facts c) => "Thanks for shopping with us. Here's what's next.",
                static (in Facts c) => "Something to go with your recent order.",
            ],
            [
                static (in Facts c) => "thanks again for your recent order! Here's something we think pairs well with it.",
                static (in Facts c) => "we hope you're enjoying your latest order. When you're ready for more, here's what's new.",
            ]);

        private static readonly Phrases _browser = new(
            [
                static (in Facts c) => $"Still thinking about the {c.Product}? {c.Subject}",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, the {c.Product} is still here: {c.Subject}" : $"The {c.Product} is still here: {c.Subject}",
                static (in Facts c) => $"{c.Subject} + another look at the {c.Product}",
                static (in Facts c) => $"Because you viewed the {c.Product}: {c.Subject}",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — and the {c.Product} is still here" : $"{c.Subject} — and the {c.Product} is still here",
            ],
            [
                static (in Facts c) => $"The {c.Product} you looked at is waiting for you.",
                static (in Facts c) => $"Still on your list: the {c.Product}.",
                static (in Facts c) => $"Take another look at the {c.Product}.",
            ],
            [
                static (in Facts c) => $"you recently took a look at the {c.Product}. It's still here, and we think you'll like what's below too.",
                static (in Facts c) => $"still thinking about the {c.Product}? Here's a little more to help you decide.",
                static (in Facts c) => $"we noticed you checking out the {c.Product}. Below are a few more picks in the same spirit.",
            ]);

        private static readonly Phrases _categoryFan = new(
            [
                static (in Facts c) => c.HasName ? $"{c.FirstName}, new {c.Category} picks: {c.Subject}" : $"New {c.Category} picks: {c.Subject}",
                static (in Facts c) => $"{c.Subject} — with fresh {c.Category} for you",
                static (in Facts c) => c.HasPlace ? $"For {c.Category} fans in {c.Place}: {c.Subject}" : $"For {c.Category} fans: {c.Subject}",
                static (in Facts c) => $"Your {c.Category} edit: {c.Subject}",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — with new {c.Category} picks" : null,
            ],
            [
                static (in Facts c) => $"Handpicked {c.Category} inside.",
                static (in Facts c) => $"More {c.Category}, chosen for you.",
                static (in Facts c) => c.HasPlace ? $"Fresh {c.Category} finds for {c.Place}." : $"Fresh {c.Category} finds.",
            ],
            [
                static (in Facts c) => $"since you love {c.Category}, we started with our newest {c.Category} picks below.",
                static (in Facts c) => $"we know {c.Category} is your thing, so this one's packed with it.",
                static (in Facts c) => c.HasPlace
                    ? $"here's a fresh edit of {c.Category} for {c.Place}, chosen just for you."
                    : $"here's a fresh edit of {c.Category}, chosen just for you.",
            ]);

        private static readonly Phrases _local = new(
            [
                static (in Facts c) => $"{c.Subject} — for you in {c.Place}",
                static (in Facts c) => c.HasName ? $"{c.FirstName} in {c.Place}: {c.Subject}" : $"From us to {c.Place}: {c.Subject}",
                static (in Facts c) => $"{c.Place}, this one's for you: {c.Subject}",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — picked for {c.Place}" : $"{c.Subject} — picked for {c.Place}",
            ],
            [
                static (in Facts c) => $"Picked for {c.Place}.",
                static (in Facts c) => $"Our picks for {c.Place} this week.",
                static (in Facts c) => $"From us to you in {c.Place}.",
            ],
            [
                static (in Facts c) => $"here's what we picked for our customers in {c.Place}.",
                static (in Facts c) => $"from us to you in {c.Place}: a few things we think you'll like.",
            ]);

        private static readonly Phrases _unknown = new(
            [
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject}" : null,
                static (in Facts c) => $"{c.Subject} — picked for you",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, don't miss this: {c.Subject}" : $"Don't miss this: {c.Subject}",
                static (in Facts c) => $"Just for you: {c.Subject}",
                static (in Facts c) => c.HasName ? $"{c.FirstName}, {c.Subject} — just for you" : null,
            ],
            [
                static (in Facts c) => c.HasName ? $"Picked for you, {c.FirstName}." : "Picked for you.",
                static (in Facts c) => "A quick look at what's new.",
                static (in Facts c) => "Open for something we think you'll like.",
            ],
            [
                static (in Facts c) => "we put together a few things we think you'll like. Take a look below.",
                static (in Facts c) => "here's a quick look at what's new, picked with you in mind.",
                static (in Facts c) => "thanks for being part of our community. Here's what we've been working on.",
            ]);

        public static Phrases For(ContactSegment segment, CampaignKind kind) => segment switch
        {
            ContactSegment.Vip => kind == CampaignKind.EarlyAccess ? _vip : _vipGeneral,
            ContactSegment.Lapsed => _lapsed,
            ContactSegment.RecentBuyer => _recent,
            ContactSegment.Browser => _browser,
            ContactSegment.CategoryFan => _categoryFan,
            ContactSegment.Local => _local,
            _ => _unknown,
        };
    }
}
