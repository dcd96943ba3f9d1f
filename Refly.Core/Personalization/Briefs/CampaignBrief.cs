using System.Security.Cryptography;
using System.Text;

namespace Refly.Core.Personalization;

/// <summary>A fact about a contact that a brief may allow a personalizer to use (see <see cref="ContactFacts"/>).</summary>
public enum BriefFact
{
    LoyaltyTier,
    FavoriteCategory,
    LastProductViewed,
    OrderRecency,
    Location,
}

/// <summary>
/// What the marketer tells the personalizers about a campaign: the goal or offer, the tone, words never to use, which
/// contact facts may be used, and the language of the copy. Saved per campaign and used by manual runs, the tag flow,
/// previews and the API. Every field is optional; <see cref="Default"/> allows every fact and says nothing else.
/// </summary>
/// <param name="Goal">The goal or offer in the marketer's words (e.g. "Early access for VIPs: 30% off everything").</param>
/// <param name="Tone">The tone (e.g. "warm", "playful", "formal").</param>
/// <param name="AvoidWords">Words or phrases the copy must never contain (compared case-insensitively).</param>
/// <param name="AllowedFacts">The contact facts the copy may use; null allows all of them.</param>
/// <param name="Language">The copy's language as an IETF tag (e.g. "en", "de"); null means the original content's.</param>
public sealed record CampaignBrief(
    string? Goal = null,
    string? Tone = null,
    IReadOnlyList<string>? AvoidWords = null,
    IReadOnlyList<BriefFact>? AllowedFacts = null,
    string? Language = null)
{
    /// <summary>No brief: every fact allowed, no goal, tone, banned words or language.</summary>
    public static CampaignBrief Default { get; } = new();

    /// <summary>The banned words, never null.</summary>
    public IReadOnlyList<string> Avoid => AvoidWords ?? [];

    /// <summary>Whether <paramref name="fact"/> may be used.</summary>
    public bool Allows(BriefFact fact) => AllowedFacts is null || AllowedFacts.Contains(fact);

    /// <summary>Whether the brief says nothing (equivalent to <see cref="Default"/>).</summary>
    public bool IsEmpty =>
        string.IsNullOrWhiteSpace(Goal) && string.IsNullOrWhiteSpace(Tone) && Avoid.Count == 0 && AllowedFacts is null &&
        string.IsNullOrWhiteSpace(Language);

    /// <summary>
    /// A stable hash of the brief's content (it keys cached generations: a changed brief means new copy); empty for an
    /// empty brief, so runs without a brief share the cache they always had.
    /// </summary>
    public string Hash()
    {
        if (IsEmpty)
        {
            return string.Empty;
        }
        var canonical = string.Join('\u001F',
            (Goal ?? string.Empty).Trim(),
            (Tone ?? string.Empty).Trim(),
            string.Join('\u001E', Avoid.Select(w => w.Trim().ToLowerInvariant()).Where(w => w.Length > 0).Order(StringComparer.Ordinal)),
            AllowedFacts is null ? "*" : string.Join('\u001E', AllowedFacts.Distinct().Order()),
            (Language ?? string.Empty).Trim().ToLowerInvariant());
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
