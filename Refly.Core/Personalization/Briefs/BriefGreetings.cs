namespace Refly.Core.Personalization;

/// <summary>
/// The greeting Refly puts before a model-written intro, in the brief's language and tone (the model never sees the
/// name, so the greeting is Refly's): "Hallo Anna," for a German brief, "Dear Anna," for a formal English one.
/// </summary>
public static class BriefGreetings
{
    private static readonly Dictionary<string, (string Named, string Anonymous)> _byLanguage = new(StringComparer.OrdinalIgnoreCase)
    {
        ["de"] = ("Hallo {0},", "Hallo,"),
        ["fr"] = ("Bonjour {0},", "Bonjour,"),
        ["es"] = ("Hola {0},", "Hola,"),
        ["it"] = ("Ciao {0},", "Ciao,"),
        ["nl"] = ("Hallo {0},", "Hallo,"),
        ["pt"] = ("Olá {0},", "Olá,"),
        ["sv"] = ("Hej {0},", "Hej,"),
        ["da"] = ("Hej {0},", "Hej,"),
        ["nb"] = ("Hei {0},", "Hei,"),
        ["fi"] = ("Hei {0},", "Hei,"),
        ["pl"] = ("Cześć {0},", "Dzień dobry,"),
    };

    /// <summary>The greeting for <paramref name="name"/> (empty: an anonymous greeting).</summary>
    public static string Greeting(CampaignBrief brief, string name)
    {
        ArgumentNullException.ThrowIfNull(brief);
        ArgumentNullException.ThrowIfNull(name);
        var language = CampaignBriefValidator.PrimaryLanguage(brief);
        if (_byLanguage.TryGetValue(language, out var forms))
        {
            return name.Length > 0 ? string.Format(System.Globalization.CultureInfo.InvariantCulture, forms.Named, name) : forms.Anonymous;
        }

        return ToneStyles.Of(brief.Tone) == ToneStyle.Formal
            ? name.Length > 0 ? $"Dear {name}," : "Hello,"
            : name.Length > 0 ? $"Hi {name}," : "Hi there,";
    }
}
