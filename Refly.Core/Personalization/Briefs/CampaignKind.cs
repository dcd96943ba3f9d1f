namespace Refly.Core.Personalization;

/// <summary>What a campaign is for, as the rule-based personalizer reads it: it picks the phrasings that fit.</summary>
public enum CampaignKind
{
    /// <summary>A newsletter or anything else: no offer, no audience of its own.</summary>
    Newsletter,

    /// <summary>Early access, a preview or a VIP-only offer: no win-back lines, VIP lines may speak of early access.</summary>
    EarlyAccess,

    /// <summary>Winning lapsed customers back: win-back lines ("It's been a while") fit.</summary>
    WinBack,

    /// <summary>A sale or discount for everyone.</summary>
    Sale,
}

/// <summary>Reads a campaign's kind from its brief's goal, else from its name and subject.</summary>
public static class CampaignKinds
{
    // Checked in this order: "early access to the sale" is early access, "win back with 20% off" is a win-back.
    private static readonly (CampaignKind Kind, string[] Words)[] _signals =
    [
        (CampaignKind.WinBack, ["win back", "win-back", "winback", "lapsed", "we miss you", "we've missed you", "missed you", "come back", "welcome back", "re-engage", "reengage", "reactivat"]),
        (CampaignKind.EarlyAccess, ["early access", "early-access", "first look", "first access", "preview", "pre-sale", "presale", "vip", "members only", "members-only", "exclusive", "sneak peek", "before everyone"]),
        (CampaignKind.Sale, ["% off", "sale", "discount", "deal", "black friday", "cyber monday", "clearance", "offer", "promo", "save "]),
    ];

    /// <summary>
    /// The kind: the brief's goal decides when it says one (the marketer's words win), else the campaign name and the
    /// original subject; <see cref="CampaignKind.Newsletter"/> when nothing says.
    /// </summary>
    public static CampaignKind Classify(string? goal, string? campaignName, string? subject) =>
        Signal(goal) ?? Signal(string.Concat(campaignName, " \u2022 ", subject)) ?? CampaignKind.Newsletter;

    private static CampaignKind? Signal(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        foreach (var (kind, words) in _signals)
        {
            foreach (var word in words)
            {
                if (text.Contains(word, StringComparison.OrdinalIgnoreCase))
                {
                    return kind;
                }
            }
        }

        return null;
    }
}

/// <summary>How a brief's tone changes the rule-based copy.</summary>
public enum ToneStyle
{
    /// <summary>Friendly, warm or unsaid: the phrasings as written.</summary>
    Friendly,

    /// <summary>Formal, professional, luxurious: "Dear" or "Hello", never "Hey", no exclamation marks.</summary>
    Formal,

    /// <summary>Playful, fun, casual: "Hey" and "Hi" greetings.</summary>
    Playful,
}

/// <summary>Maps a brief's free-text tone to a <see cref="ToneStyle"/>.</summary>
public static class ToneStyles
{
    private static readonly string[] _formal = ["formal", "professional", "luxur", "elegant", "serious", "polite", "respectful", "sophisticated", "premium"];
    private static readonly string[] _playful = ["playful", "fun", "casual", "cheeky", "cheerful", "witty", "upbeat", "enthusiastic", "excited"];

    /// <summary>The style of <paramref name="tone"/>; <see cref="ToneStyle.Friendly"/> when none matches.</summary>
    public static ToneStyle Of(string? tone)
    {
        if (string.IsNullOrWhiteSpace(tone))
        {
            return ToneStyle.Friendly;
        }

        return _formal.Any(w => tone.Contains(w, StringComparison.OrdinalIgnoreCase)) ? ToneStyle.Formal
            : _playful.Any(w => tone.Contains(w, StringComparison.OrdinalIgnoreCase)) ? ToneStyle.Playful
            : ToneStyle.Friendly;
    }
}
