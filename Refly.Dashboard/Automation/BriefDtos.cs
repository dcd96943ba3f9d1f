using Refly.Core.Personalization;

namespace Refly.Dashboard.Automation;

/// <summary>
/// A campaign's brief in the API (GET/PUT /api/v1/campaigns/{campaignId}/brief, and <c>brief</c> of a start): facts by
/// name (<see cref="BriefFact"/>: LoyaltyTier, FavoriteCategory, LastProductViewed, OrderRecency, Location), null
/// allowedFacts allowing all of them.
/// </summary>
public sealed record BriefDto(
    string? Goal,
    string? Tone,
    IReadOnlyList<string>? AvoidWords,
    IReadOnlyList<string>? AllowedFacts,
    string? Language)
{
    public static BriefDto From(CampaignBrief brief) =>
        new(brief.Goal, brief.Tone, brief.AvoidWords, brief.AllowedFacts?.Select(f => f.ToString()).ToList(), brief.Language);

    /// <summary>The brief, or the problems of facts that have no known name (reported beside "allowedFacts[i]").</summary>
    public (CampaignBrief? Brief, IReadOnlyList<BriefProblem> Problems) ToBrief()
    {
        var problems = new List<BriefProblem>();
        List<BriefFact>? facts = null;
        if (AllowedFacts is not null)
        {
            facts = [];
            for (var i = 0; i < AllowedFacts.Count; i++)
            {
                var name = AllowedFacts[i];
                if (Enum.TryParse<BriefFact>(name, ignoreCase: true, out var fact) && Enum.IsDefined(fact) && !int.TryParse(name, out _))
                {
                    facts.Add(fact);
                }
                else
                {
                    problems.Add(new BriefProblem($"allowedFacts[{i}]",
                        $"'{name}' is no known fact; known facts are {string.Join(", ", Enum.GetNames<BriefFact>())}."));
                }
            }
        }

        return problems.Count > 0 ? (null, problems) : (new CampaignBrief(Goal, Tone, AvoidWords, facts, Language), problems);
    }
}

/// <summary>GET /api/v1/campaigns/{campaignId}/brief: the brief runs use; <c>saved</c> false when it is the default.</summary>
public sealed record CampaignBriefDto(string CampaignId, bool Saved, BriefDto Brief);

/// <summary>One problem of a brief, by field (camelCase as in the body, e.g. "brief.language" or "avoidWords[2]").</summary>
public sealed record BriefProblem(string Field, string Message);
