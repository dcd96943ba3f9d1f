using System.Text.RegularExpressions;
using FluentValidation;

namespace Refly.Core.Personalization;

/// <summary>
/// What a brief may hold: bounded lengths (it travels in every prompt), at most <see cref="MaxAvoidWords"/> words to
/// avoid, only known facts, and a language Refly writes copy in. Property names are the brief's own ("Goal", "Tone",
/// "AvoidWords[0]", "AllowedFacts", "Language"), so a form can show each error beside its field.
/// </summary>
public sealed partial class CampaignBriefValidator : AbstractValidator<CampaignBrief>
{
    /// <summary>Longest goal or offer.</summary>
    public const int MaxGoalLength = 300;

    /// <summary>Longest tone.</summary>
    public const int MaxToneLength = 40;

    /// <summary>Most words to avoid.</summary>
    public const int MaxAvoidWords = 30;

    /// <summary>Longest word or phrase to avoid.</summary>
    public const int MaxAvoidWordLength = 40;

    /// <summary>The error code of every brief failure (the API answers 400 with it).</summary>
    public const string ErrorCode = "InvalidBrief";

    /// <summary>The tones the dashboard offers (any short tone is accepted from the API).</summary>
    public static IReadOnlyList<string> SuggestedTones { get; } = ["friendly", "warm", "playful", "formal", "urgent", "luxurious"];

    /// <summary>The languages (primary subtags of IETF tags) the copy may be in, with their English names.</summary>
    public static IReadOnlyDictionary<string, string> Languages { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["en"] = "English", ["de"] = "German", ["fr"] = "French", ["es"] = "Spanish", ["it"] = "Italian", ["nl"] = "Dutch",
        ["pt"] = "Portuguese", ["sv"] = "Swedish", ["da"] = "Danish", ["nb"] = "Norwegian", ["fi"] = "Finnish", ["pl"] = "Polish",
    };

    public CampaignBriefValidator()
    {
        RuleFor(b => b.Goal)
            .MaximumLength(MaxGoalLength)
            .WithMessage($"The goal or offer may have at most {MaxGoalLength} characters.")
            .WithErrorCode(ErrorCode)
            .Must(NoTemplateSyntax)
            .WithMessage("The goal may not contain template syntax ({{ }}, {% %}) or HTML.")
            .WithErrorCode(ErrorCode);

        RuleFor(b => b.Tone)
            .MaximumLength(MaxToneLength)
            .WithMessage($"The tone may have at most {MaxToneLength} characters.")
            .WithErrorCode(ErrorCode)
            .Must(NoTemplateSyntax)
            .WithMessage("The tone may not contain template syntax or HTML.")
            .WithErrorCode(ErrorCode);

        RuleFor(b => b.Avoid)
            .Must(w => w.Count <= MaxAvoidWords)
            .WithMessage($"At most {MaxAvoidWords} words to avoid.")
            .WithErrorCode(ErrorCode)
            .OverridePropertyName(nameof(CampaignBrief.AvoidWords));

        RuleForEach(b => b.Avoid)
            .Must(w => !string.IsNullOrWhiteSpace(w))
            .WithMessage("A word to avoid may not be blank.")
            .WithErrorCode(ErrorCode)
            .MaximumLength(MaxAvoidWordLength)
            .WithMessage($"A word to avoid may have at most {MaxAvoidWordLength} characters.")
            .WithErrorCode(ErrorCode)
            .OverridePropertyName(nameof(CampaignBrief.AvoidWords));

        RuleForEach(b => b.AllowedFacts)
            .IsInEnum()
            .WithMessage((_, fact) => $"'{fact}' is no known fact; known facts are {string.Join(", ", Enum.GetNames<BriefFact>())}.")
            .WithErrorCode(ErrorCode);

        RuleFor(b => b.Language)
            .Must(l => l is null || IsKnownLanguage(l))
            .WithMessage(b => $"'{b.Language}' is no language Refly writes copy in; use one of {string.Join(", ", Languages.Keys)} (optionally with a region, e.g. de-AT).")
            .WithErrorCode(ErrorCode);

        RuleFor(b => b)
            .Must(b => b.AllowedFacts is null || b.AllowedFacts.Distinct().Count() == b.AllowedFacts.Count)
            .WithMessage("A fact is listed twice.")
            .WithErrorCode(ErrorCode)
            .OverridePropertyName(nameof(CampaignBrief.AllowedFacts));
    }

    /// <summary>Whether <paramref name="language"/> is an IETF tag whose primary language Refly knows ("de", "de-AT").</summary>
    public static bool IsKnownLanguage(string language)
    {
        var trimmed = language.Trim();
        return LanguageTag().IsMatch(trimmed) && Languages.ContainsKey(trimmed.Split('-')[0]);
    }

    /// <summary>The primary language of a brief ("de" for "de-AT"); "en" when it names none.</summary>
    public static string PrimaryLanguage(CampaignBrief brief)
    {
        ArgumentNullException.ThrowIfNull(brief);
        return string.IsNullOrWhiteSpace(brief.Language) ? "en" : brief.Language.Trim().Split('-')[0].ToLowerInvariant();
    }

    private static bool NoTemplateSyntax(string? value) =>
        !ContentGuardrails.ContainsTemplateSyntax(value) && !ContentGuardrails.ContainsHtmlTag(value);

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LanguageTag();
}
