using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Campaigns;

/// <summary>What the campaigns table asks for: a page of campaigns matching a search and a status filter.</summary>
public sealed record CampaignQuery(
    string? Search = null,
    CampaignStatus? Status = null,
    int Skip = 0,
    int Take = 25,
    CampaignSort Sort = CampaignSort.SendTime,
    bool Descending = false,
    bool IncludeRemoved = false);

public enum CampaignSort { SendTime, Name, Status }

public sealed record CampaignPage(IReadOnlyList<Campaign> Items, int TotalCount);

/// <summary>Reads campaigns for the dashboard and the automation API. Paging happens in SQL so 10,000 campaigns stay fast.</summary>
public sealed class CampaignQueryService(IDbContextFactory<ReflyDbContext> contextFactory)
{
    public async Task<CampaignPage> QueryAsync(CampaignQuery query, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var campaigns = db.Campaigns.AsNoTracking();
        if (!query.IncludeRemoved)
        {
            campaigns = campaigns.Where(c => c.RemovedFromKlaviyoAt == null);
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var pattern = "%" + EscapeLike(query.Search.Trim()) + "%";
            campaigns = campaigns.Where(c => EF.Functions.Like(c.Name, pattern, "\\") || c.KlaviyoId == query.Search.Trim());
        }
        if (query.Status is { } status)
        {
            campaigns = campaigns.Where(c => c.Status == status);
        }

        var total = await campaigns.CountAsync(cancellationToken);
        campaigns = (query.Sort, query.Descending) switch
        {
            (CampaignSort.Name, false) => campaigns.OrderBy(c => c.Name).ThenBy(c => c.Id),
            (CampaignSort.Name, true) => campaigns.OrderByDescending(c => c.Name).ThenBy(c => c.Id),
            (CampaignSort.Status, false) => campaigns.OrderBy(c => c.Status).ThenBy(c => c.Id),
            (CampaignSort.Status, true) => campaigns.OrderByDescending(c => c.Status).ThenBy(c => c.Id),
            // Upcoming sends first; campaigns without a send time after them.
            (_, false) => campaigns.OrderBy(c => c.SendTime == null).ThenBy(c => c.SendTime).ThenBy(c => c.Id),
            (_, true) => campaigns.OrderBy(c => c.SendTime == null).ThenByDescending(c => c.SendTime).ThenBy(c => c.Id),
        };

        var items = await campaigns
            .Skip(Math.Max(0, query.Skip))
            .Take(Math.Clamp(query.Take, 1, 500))
            .Include(c => c.Messages.OrderBy(m => m.Id))
            .AsSplitQuery()
            .ToListAsync(cancellationToken);
        return new CampaignPage(items, total);
    }

    /// <summary>One campaign by its Klaviyo id, with messages; null when unknown.</summary>
    public async Task<Campaign?> FindAsync(string klaviyoId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Campaigns.AsNoTracking()
            .Include(c => c.Messages.OrderBy(m => m.Id))
            .FirstOrDefaultAsync(c => c.KlaviyoId == klaviyoId, cancellationToken);
    }

    /// <summary>
    /// The statuses the synced campaigns have, in the enum's order: what the status filter offers, so it never lists
    /// a status no campaign is in (nor <see cref="CampaignStatus.Unknown"/> when every status is known).
    /// </summary>
    public async Task<IReadOnlyList<CampaignStatus>> StatusesInUseAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var statuses = await db.Campaigns.AsNoTracking().Where(c => c.RemovedFromKlaviyoAt == null)
            .Select(c => c.Status).Distinct().ToListAsync(cancellationToken);
        return statuses.Order().ToList();
    }

    private static string EscapeLike(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal)
            .Replace("%", "\\%", StringComparison.Ordinal)
            .Replace("_", "\\_", StringComparison.Ordinal);
}
