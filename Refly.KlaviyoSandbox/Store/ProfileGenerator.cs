using System.Globalization;
using System.Text;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>
/// Produces profile N deterministically from (account seed, N), so a 200,000-profile list costs no memory and the
/// same profile always has the same id, name and properties. Ids encode N (Crockford base32), so a profile id is
/// resolved back to its index without a lookup table.
/// </summary>
public static class ProfileGenerator
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const string IdPrefix = "01RFLY";

    private static readonly string[] _firstNames = ["Ava", "Liam", "Mia", "Noah", "Emma", "Lucas", "Sofia", "Ethan", "Chloe", "Mateo", "Zoe", "Arjun", "Hana", "Oscar", "Leila", "Finn", "Priya", "Jonas", "Amara", "Theo"];
    private static readonly string[] _lastNames = ["Smith", "Garcia", "Müller", "Rossi", "Nguyen", "Kowalski", "Johnson", "Silva", "Dubois", "Tanaka", "Okafor", "Larsen", "Brown", "Novak", "Haddad", "Patel"];
    private static readonly (string City, string Country, string Region, string Timezone)[] _places =
    [
        ("Austin", "United States", "Texas", "America/Chicago"), ("Berlin", "Germany", "Berlin", "Europe/Berlin"),
        ("Lyon", "France", "Auvergne-Rhône-Alpes", "Europe/Paris"), ("Toronto", "Canada", "Ontario", "America/Toronto"),
        ("Melbourne", "Australia", "Victoria", "Australia/Melbourne"), ("Leeds", "United Kingdom", "England", "Europe/London"),
        ("Porto", "Portugal", "Porto", "Europe/Lisbon"), ("Osaka", "Japan", "Osaka", "Asia/Tokyo"),
        ("Denver", "United States", "Colorado", "America/Denver"), ("Kraków", "Poland", "Lesser Poland", "Europe/Warsaw"),
    ];
    private static readonly string[] _categories = ["running shoes", "yoga wear", "outdoor gear", "skincare", "coffee", "home office", "kitchenware", "kids' toys"];
    private static readonly string[] _products = ["Trail Runner 2", "Merino Hoodie", "Cold Brew Kit", "Vitamin C Serum", "Standing Desk Mat", "Cast Iron Skillet", "Wooden Train Set", "Rain Shell Jacket"];
    private static readonly string[] _tiers = ["bronze", "silver", "gold", "platinum"];

    public static string IdFor(long index)
    {
        Span<char> chars = stackalloc char[20];
        var value = (ulong)index;
        for (var i = chars.Length - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(value % 32)];
            value /= 32;
        }
        return IdPrefix + new string(chars);
    }

    public static bool TryParseId(string id, out long index)
    {
        index = 0;
        if (id.Length != IdPrefix.Length + 20 || !id.StartsWith(IdPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        ulong value = 0;
        foreach (var c in id.AsSpan(IdPrefix.Length))
        {
            var digit = Alphabet.IndexOf(c);
            if (digit < 0)
            {
                return false;
            }
            value = value * 32 + (ulong)digit;
        }
        index = (long)value;
        return index >= 0;
    }

    /// <summary>The index encoded in a generated email (<c>first.last.N@example.com</c>), if any.</summary>
    public static bool TryParseEmail(string email, out long index)
    {
        index = 0;
        var at = email.IndexOf("@example.com", StringComparison.OrdinalIgnoreCase);
        var dot = at > 0 ? email.LastIndexOf('.', at - 1) : -1;
        return dot >= 0 && long.TryParse(email.AsSpan(dot + 1, at - dot - 1), NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    public static SandboxProfile Generate(int seed, long index, DateTimeOffset epoch)
    {
        var h = Mix((ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)index);
        string? Pick(string[] values, int shift) => values[(int)((h >> shift) % (ulong)values.Length)];
        var first = (h % 13) == 0 ? null : Pick(_firstNames, 8);
        var last = (h % 17) == 0 ? null : Pick(_lastNames, 16);
        var place = _places[(int)((h >> 24) % (ulong)_places.Length)];
        var hasPlace = (h % 11) != 0;
        var properties = new Dictionary<string, object?>(StringComparer.Ordinal);
        if ((h >> 3) % 9 != 0)
        {
            properties["favorite_category"] = Pick(_categories, 32);
        }
        if ((h >> 5) % 7 != 0)
        {
            properties["last_product_viewed"] = Pick(_products, 40);
        }
        properties["loyalty_tier"] = Pick(_tiers, 48);
        if ((h >> 7) % 5 != 0)
        {
            properties["days_since_last_order"] = (long)((h >> 52) % 400);
        }
        var created = epoch.AddMinutes(-(double)((h >> 20) % (60 * 24 * 700)));
        return new SandboxProfile
        {
            Id = IdFor(index),
            Index = index,
            Email = $"{Slug(first ?? "customer")}.{Slug(last ?? "shopper")}.{index.ToString(CultureInfo.InvariantCulture)}@example.com",
            FirstName = first,
            LastName = last,
            City = hasPlace ? place.City : null,
            Country = hasPlace ? place.Country : null,
            Region = hasPlace ? place.Region : null,
            Timezone = hasPlace ? place.Timezone : null,
            Locale = "en-US",
            Properties = properties,
            Created = created,
            Updated = created,
        };
    }

    private static string Slug(string value)
    {
        var normalized = value.Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(normalized.Length);
        foreach (var c in normalized)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }
        return builder.ToString();
    }

    // SplitMix64 finaliser: cheap, well-distributed, stable across runtimes (unlike string.GetHashCode).
    private static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
