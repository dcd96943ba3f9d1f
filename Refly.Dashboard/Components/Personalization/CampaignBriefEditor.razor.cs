using FluentValidation.Results;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Refly.Core.Personalization;

namespace Refly.Dashboard.Components.Personalization;

/// <summary>
/// Edits a campaign's brief: goal, tone, language, words to avoid (chips), allowed facts (checkboxes). Each change is
/// checked by <see cref="CampaignBriefValidator"/> and its errors are shown beside their fields, with those the start
/// returned (<see cref="Errors"/>, property names "Brief.Goal" or "Goal").
/// </summary>
public sealed partial class CampaignBriefEditor
{
    private static readonly CampaignBriefValidator _validator = new();
    private string? _newWord;
    private IReadOnlyList<ValidationFailure> _own = [];

    [Parameter, EditorRequired]
    public CampaignBrief Value { get; set; } = CampaignBrief.Default;

    [Parameter]
    public EventCallback<CampaignBrief> ValueChanged { get; set; }

    /// <summary>Errors from the start (e.g. <see cref="RunCommandResult.Errors"/>); those of other fields are ignored.</summary>
    [Parameter]
    public IReadOnlyList<ValidationFailure> Errors { get; set; } = [];

    /// <summary>Whether the brief as edited is valid.</summary>
    public bool IsValid => _own.Count == 0;

    private IEnumerable<string> Tones =>
        Value.Tone is { Length: > 0 } tone && !CampaignBriefValidator.SuggestedTones.Contains(tone, StringComparer.OrdinalIgnoreCase)
            ? CampaignBriefValidator.SuggestedTones.Append(tone)
            : CampaignBriefValidator.SuggestedTones;

    protected override void OnParametersSet() => _own = _validator.Validate(Value).Errors;

    private string? ErrorOf(string field) =>
        _own.Concat(Errors)
            .Where(e => Field(e.PropertyName).StartsWith(field, StringComparison.Ordinal))
            .Select(e => e.ErrorMessage)
            .FirstOrDefault();

    private static string Field(string propertyName) =>
        propertyName.StartsWith("Brief.", StringComparison.Ordinal) ? propertyName["Brief.".Length..] : propertyName;

    private async Task ChangeAsync(CampaignBrief brief)
    {
        Value = brief;
        _own = _validator.Validate(brief).Errors;
        await ValueChanged.InvokeAsync(brief);
    }

    private async Task OnWordKeyAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            await AddWordAsync();
        }
    }

    private async Task AddWordAsync()
    {
        var word = _newWord?.Trim();
        _newWord = null;
        if (string.IsNullOrEmpty(word) || Value.Avoid.Contains(word, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }

        await ChangeAsync(Value with { AvoidWords = [.. Value.Avoid, word] });
    }

    private Task RemoveWordAsync(string word) =>
        ChangeAsync(Value with { AvoidWords = Value.Avoid.Where(w => w != word).ToList() });

    private Task ToggleFactAsync(BriefFact fact, bool allowed)
    {
        var facts = (Value.AllowedFacts ?? Enum.GetValues<BriefFact>()).Where(f => f != fact).ToList();
        if (allowed)
        {
            facts.Add(fact);
        }

        // All facts allowed is the default (null): a fact added later is allowed too.
        var all = facts.Count == Enum.GetValues<BriefFact>().Length;
        return ChangeAsync(Value with { AllowedFacts = all ? null : Enum.GetValues<BriefFact>().Where(facts.Contains).ToList() });
    }

    private static string FactText(BriefFact fact) => fact switch
    {
        BriefFact.LoyaltyTier => "Loyalty tier",
        BriefFact.FavoriteCategory => "Favourite category",
        BriefFact.LastProductViewed => "Last product viewed",
        BriefFact.OrderRecency => "Order recency",
        BriefFact.Location => "City / country",
        _ => fact.ToString(),
    };
}
