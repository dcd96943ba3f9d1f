using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>Reads and saves each campaign's brief (table CampaignBriefs).</summary>
public sealed class CampaignBriefStore(IDbContextFactory<ReflyDbContext> contextFactory, TimeProvider time)
{
    /// <summary>The campaign's saved brief, null when none was saved.</summary>
    public async Task<CampaignBrief?> FindAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.CampaignBriefs.AsNoTracking().FirstOrDefaultAsync(b => b.CampaignId == campaignId, cancellationToken);
        return record?.Brief;
    }

    /// <summary>The campaign's saved brief, else <see cref="CampaignBrief.Default"/>.</summary>
    public async Task<CampaignBrief> GetAsync(string campaignId, CancellationToken cancellationToken) =>
        await FindAsync(campaignId, cancellationToken) ?? CampaignBrief.Default;

    /// <summary>Saves (inserts or replaces) the campaign's brief, normalized (trimmed, blanks dropped). The caller validated it.</summary>
    public async Task<CampaignBrief> SaveAsync(string campaignId, CampaignBrief brief, string? savedBy, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        ArgumentNullException.ThrowIfNull(brief);
        var normalized = Normalize(brief);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var record = await db.CampaignBriefs.FirstOrDefaultAsync(b => b.CampaignId == campaignId, cancellationToken);
        if (record is null)
        {
            db.CampaignBriefs.Add(new CampaignBriefRecord { CampaignId = campaignId, Brief = normalized, UpdatedAt = time.GetUtcNow(), UpdatedBy = savedBy });
        }
        else
        {
            record.Brief = normalized;
            record.UpdatedAt = time.GetUtcNow();
            record.UpdatedBy = savedBy;
        }

        await db.SaveChangesAsync(cancellationToken);
        return normalized;
    }

    /// <summary>The brief as it is saved: fields trimmed, blank ones null, words to avoid trimmed and distinct.</summary>
    public static CampaignBrief Normalize(CampaignBrief brief)
    {
        ArgumentNullException.ThrowIfNull(brief);
        var words = brief.Avoid.Select(w => w.Trim()).Where(w => w.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        return new CampaignBrief(
            NullIfBlank(brief.Goal),
            NullIfBlank(brief.Tone),
            words.Count == 0 ? null : words,
            brief.AllowedFacts?.Distinct().ToList(),
            NullIfBlank(brief.Language));
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
