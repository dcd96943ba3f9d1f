using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>How long ago a contact last ordered, in bands a model may read (never the exact number of days).</summary>
public enum OrderRecency
{
    /// <summary>No order date known.</summary>
    Unknown,

    /// <summary>Within <see cref="RuleBasedPersonalizer.RecentOrderDays"/> days.</summary>
    Recent,

    /// <summary>After the recent band, before <see cref="RuleBasedPersonalizer.LapsedAfterDays"/> days.</summary>
    Active,

    /// <summary>From <see cref="RuleBasedPersonalizer.LapsedAfterDays"/> days to a year.</summary>
    Lapsed,

    /// <summary>A year or more.</summary>
    LongLapsed,
}

/// <summary>
/// The facts about a contact that a model may see: loyalty tier, favourite category, last product viewed, an order
/// recency band and the place (city, country), each sanitized. Never the name, e-mail, phone or id: contacts with
/// equal facts are one group and share one generation (see <see cref="Hash"/>); per-contact values such as the first
/// name are filled in by Refly afterwards. Groups are by <see cref="Hash"/>, which ignores case ("Gold" and "gold" are one group).
/// </summary>
public sealed record ContactFacts(
    string LoyaltyTier,
    string FavoriteCategory,
    string LastProductViewed,
    OrderRecency OrderRecency,
    string City,
    string Country)
{
    /// <summary>The facts of <paramref name="profile"/> (every fact: the default brief allows them all).</summary>
    public static ContactFacts From(KlaviyoProfile profile) => From(profile, CampaignBrief.Default);

    /// <summary>
    /// The facts of <paramref name="profile"/> that <paramref name="brief"/> allows; a fact it does not allow is empty (and
    /// so never reaches a prompt, and contacts that differ only in it share a group).
    /// </summary>
    public static ContactFacts From(KlaviyoProfile profile, CampaignBrief brief)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentNullException.ThrowIfNull(brief);
        var location = brief.Allows(BriefFact.Location);
        return new ContactFacts(
            brief.Allows(BriefFact.LoyaltyTier) ? Property(profile, RuleBasedPersonalizer.LoyaltyTierProperty) : string.Empty,
            brief.Allows(BriefFact.FavoriteCategory) ? Property(profile, RuleBasedPersonalizer.FavoriteCategoryProperty) : string.Empty,
            brief.Allows(BriefFact.LastProductViewed) ? Property(profile, RuleBasedPersonalizer.LastProductViewedProperty) : string.Empty,
            brief.Allows(BriefFact.OrderRecency) ? BandOf(Property(profile, RuleBasedPersonalizer.DaysSinceLastOrderProperty)) : OrderRecency.Unknown,
            location ? ContentGuardrails.SanitizeProfileValue(profile.City) : string.Empty,
            location ? ContentGuardrails.SanitizeProfileValue(profile.Country) : string.Empty);
    }

    /// <summary>The band of a <c>days_since_last_order</c> value; <see cref="OrderRecency.Unknown"/> when it is no number of days.</summary>
    public static OrderRecency BandOf(string? daysSinceLastOrder)
    {
        if (string.IsNullOrWhiteSpace(daysSinceLastOrder)
            || !double.TryParse(daysSinceLastOrder, NumberStyles.Float, CultureInfo.InvariantCulture, out var days)
            || days is < 0 or > 100_000 || double.IsNaN(days))
        {
            return OrderRecency.Unknown;
        }

        return days <= RuleBasedPersonalizer.RecentOrderDays ? OrderRecency.Recent
            : days < RuleBasedPersonalizer.LapsedAfterDays ? OrderRecency.Active
            : days < 365 ? OrderRecency.Lapsed
            : OrderRecency.LongLapsed;
    }

    /// <summary>The band as the prompt words it (no number, so the model has none to repeat); empty when unknown.</summary>
    public string OrderRecencyText => OrderRecency switch
    {
        OrderRecency.Recent => "ordered recently",
        OrderRecency.Active => "ordered in the last few months",
        OrderRecency.Lapsed => "lapsed: no order for months",
        OrderRecency.LongLapsed => "lapsed: no order for over a year",
        _ => string.Empty,
    };

    /// <summary>The facts as prompt fields (name to value), only those known.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToPromptFields()
    {
        var fields = new List<KeyValuePair<string, string>>(6);
        Add(RuleBasedPersonalizer.LoyaltyTierProperty, LoyaltyTier);
        Add(RuleBasedPersonalizer.FavoriteCategoryProperty, FavoriteCategory);
        Add(RuleBasedPersonalizer.LastProductViewedProperty, LastProductViewed);
        Add("order_recency", OrderRecencyText);
        Add("city", City);
        Add("country", Country);
        return fields;

        void Add(string name, string value)
        {
            if (value.Length > 0)
            {
                fields.Add(new(name, value));
            }
        }
    }

    /// <summary>
    /// A stable key of the facts (hex of SHA-256 over their case-folded values, 32 characters): the same on every
    /// machine and run, so it keys the SQLite generation cache.
    /// </summary>
    public string Hash { get; } = ComputeHash(LoyaltyTier, FavoriteCategory, LastProductViewed, OrderRecency, City, Country);

    private static string ComputeHash(string loyaltyTier, string favoriteCategory, string lastProductViewed, OrderRecency orderRecency, string city, string country)
    {
        var canonical = string.Join(
            '\u001F',
            "v1",
            loyaltyTier.ToLowerInvariant(),
            favoriteCategory.ToLowerInvariant(),
            lastProductViewed.ToLowerInvariant(),
            ((int)orderRecency).ToString(CultureInfo.InvariantCulture),
            city.ToLowerInvariant(),
            country.ToLowerInvariant());
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(canonical), digest);
        return Convert.ToHexStringLower(digest[..16]);
    }

    private static string Property(KlaviyoProfile profile, string name) =>
        profile.Properties is not null && profile.Properties.TryGetValue(name, out var value)
            ? ContentGuardrails.SanitizeProfileValue(value)
            : string.Empty;
}
