using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Refly.Core.Personalization;

/// <summary>
/// A brief as stored (a JSON text column: the saved brief and the brief a run used), facts as their names so a
/// reordered enum cannot change a saved brief.
/// </summary>
public static class CampaignBriefJson
{
    private static readonly JsonSerializerOptions _options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The brief as JSON.</summary>
    public static string Serialize(CampaignBrief brief) => JsonSerializer.Serialize(brief, _options);

    /// <summary>The brief of <paramref name="json"/>; <see cref="CampaignBrief.Default"/> for empty or unreadable text.</summary>
    public static CampaignBrief Deserialize(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return CampaignBrief.Default;
        }

        try
        {
            return JsonSerializer.Deserialize<CampaignBrief>(json, _options) ?? CampaignBrief.Default;
        }
        catch (JsonException)
        {
            // A brief that cannot be read is no reason to stop a run: it gets the default, which is always safe.
            return CampaignBrief.Default;
        }
    }

    internal static readonly ValueConverter<CampaignBrief, string> Converter = new(b => Serialize(b), json => Deserialize(json));

    // EF Core never hands a null to a converter; these types only let a nullable property use it.
    internal static readonly ValueConverter<CampaignBrief?, string> NullableConverter = new(b => Serialize(b!), json => Deserialize(json));

    internal static readonly ValueComparer<CampaignBrief?> NullableComparer = new(
        (a, b) => (a == null && b == null) || (a != null && b != null && Serialize(a) == Serialize(b)),
        b => b == null ? 0 : Serialize(b).GetHashCode(StringComparison.Ordinal),
        b => b == null ? null : Deserialize(Serialize(b)));

    internal static readonly ValueComparer<CampaignBrief> Comparer = new(
        (a, b) => (a == null && b == null) || (a != null && b != null && Serialize(a) == Serialize(b)),
        b => Serialize(b).GetHashCode(StringComparison.Ordinal),
        b => Deserialize(Serialize(b)));
}
