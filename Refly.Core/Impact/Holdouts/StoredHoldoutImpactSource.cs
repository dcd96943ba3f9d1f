using Microsoft.EntityFrameworkCore;
using Refly.Core.Personalization;
using Refly.Core.Persistence;

namespace Refly.Core.Impact.Holdouts;

/// <summary>
/// The holdout feature's <see cref="IHoldoutImpactSource"/>: the stored result of the campaign's latest Completed run
/// that held contacts out. Never reads Klaviyo (the schedule and <see cref="HoldoutEventsReader.RefreshAsync"/> do).
/// </summary>
public sealed class StoredHoldoutImpactSource(IDbContextFactory<ReflyDbContext> contextFactory) : IHoldoutImpactSource
{
    /// <inheritdoc />
    public async Task<HoldoutImpact?> GetAsync(string campaignKlaviyoId, CancellationToken cancellationToken) =>
        (await GetResultAsync(campaignKlaviyoId, cancellationToken))?.Impact;

    /// <summary>The stored read state and result (when it was computed, when it is read again), or null.</summary>
    public async Task<HoldoutResult?> GetResultAsync(string campaignKlaviyoId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var runId = await db.Runs.AsNoTracking()
            .Where(r => r.CampaignKlaviyoId == campaignKlaviyoId && r.State == RunState.Completed && r.HeldOut > 0)
            .OrderByDescending(r => r.CreatedAt)
            .Select(r => (Guid?)r.Id)
            .FirstOrDefaultAsync(cancellationToken);
        return runId is null ? null : await db.HoldoutResults.AsNoTracking().FirstOrDefaultAsync(r => r.RunId == runId, cancellationToken);
    }
}
