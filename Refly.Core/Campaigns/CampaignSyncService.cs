using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Refly.Core.Klaviyo;
using Refly.Core.Notifications;
using Refly.Core.Persistence;

namespace Refly.Core.Campaigns;

/// <summary>What one sync did.</summary>
public sealed record CampaignSyncResult(int Added, int Updated, int Removed, int Unchanged)
{
    public int Changed => Added + Updated + Removed;
}

/// <summary>
/// Brings the local copy of the account's email campaigns up to date with Klaviyo: upserts campaigns and messages,
/// marks campaigns Klaviyo no longer returns, and publishes <see cref="CampaignsChanged"/> when anything changed.
/// Unchanged rows are not written, so a sync with nothing new is a no-op on the database.
/// </summary>
public sealed class CampaignSyncService(
    IKlaviyoClient klaviyo,
    IDbContextFactory<ReflyDbContext> contextFactory,
    IChangeNotifier notifier,
    SyncStatus status,
    TimeProvider time,
    ILogger<CampaignSyncService> logger)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Runs one sync (a second caller waits for the first). Failures are recorded on <see cref="SyncStatus"/> and rethrown.</summary>
    public async Task<CampaignSyncResult> SyncAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            var result = await SyncCoreAsync(cancellationToken);
            status.RecordSuccess(time.GetUtcNow());
            if (result.Changed > 0)
            {
                logger.LogInformation(
                    "Campaign sync: {Added} added, {Updated} updated, {Removed} removed, {Unchanged} unchanged",
                    result.Added, result.Updated, result.Removed, result.Unchanged);
                notifier.Publish(new CampaignsChanged(result.Changed));
            }
            notifier.Publish(new SyncStatusChanged());
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            status.RecordFailure(time.GetUtcNow(), ex is KlaviyoException ? ex.Message : "Unexpected error: " + ex.Message);
            notifier.Publish(new SyncStatusChanged());
            throw;
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    /// <summary>
    /// Fetches one campaign (GET /api/campaigns/{id}, one request) and upserts it locally, for callers that need a
    /// campaign before the next full sync (the tag poller). Returns false when Klaviyo has no such email campaign.
    /// </summary>
    public async Task<bool> RefreshAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        var source = await klaviyo.GetCampaignAsync(campaignId, cancellationToken);
        if (source is null || !source.Messages.Any(m => string.Equals(m.Channel, "email", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        bool changed;
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
            var campaign = await db.Campaigns.Include(c => c.Messages).FirstOrDefaultAsync(c => c.KlaviyoId == source.Id, cancellationToken);
            if (campaign is null)
            {
                campaign = new Campaign { KlaviyoId = source.Id, Name = source.Name, RawStatus = source.Status };
                db.Campaigns.Add(campaign);
                Apply(campaign, source);
                changed = true;
            }
            else
            {
                changed = Apply(campaign, source);
            }
            if (changed)
            {
                campaign.LastSyncedAt = time.GetUtcNow();
                await db.SaveChangesAsync(cancellationToken);
            }
        }
        finally
        {
            _oneAtATime.Release();
        }
        if (changed)
        {
            notifier.Publish(new CampaignsChanged(1));
        }
        return true;
    }

    private async Task<CampaignSyncResult> SyncCoreAsync(CancellationToken cancellationToken)
    {
        var remote = new Dictionary<string, KlaviyoCampaign>(StringComparer.Ordinal);
        await foreach (var campaign in klaviyo.GetEmailCampaignsAsync(cancellationToken))
        {
            remote[campaign.Id] = campaign;
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var local = await db.Campaigns.Include(c => c.Messages).ToDictionaryAsync(c => c.KlaviyoId, cancellationToken);
        var now = time.GetUtcNow();
        int added = 0, updated = 0, removed = 0, unchanged = 0;

        foreach (var (id, source) in remote)
        {
            if (!local.TryGetValue(id, out var campaign))
            {
                campaign = new Campaign { KlaviyoId = id, Name = source.Name, RawStatus = source.Status };
                Apply(campaign, source);
                campaign.LastSyncedAt = now;
                db.Campaigns.Add(campaign);
                added++;
            }
            else if (Apply(campaign, source))
            {
                campaign.LastSyncedAt = now;
                updated++;
            }
            else
            {
                unchanged++;
            }
        }

        foreach (var campaign in local.Values)
        {
            if (!remote.ContainsKey(campaign.KlaviyoId) && campaign.RemovedFromKlaviyoAt is null)
            {
                campaign.RemovedFromKlaviyoAt = now;
                campaign.LastSyncedAt = now;
                removed++;
            }
        }

        if (added + updated + removed > 0)
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        return new CampaignSyncResult(added, updated, removed, unchanged);
    }

    /// <summary>Copies Klaviyo's view onto the entity; returns whether anything changed.</summary>
    private static bool Apply(Campaign campaign, KlaviyoCampaign source)
    {
        var changed = false;
        void Set<T>(T current, T value, Action<T> assign)
        {
            if (!EqualityComparer<T>.Default.Equals(current, value))
            {
                assign(value);
                changed = true;
            }
        }

        Set(campaign.Name, source.Name, v => campaign.Name = v);
        Set(campaign.RawStatus, source.Status, v => campaign.RawStatus = v);
        Set(campaign.Status, CampaignStatusMapper.Map(source.Status), v => campaign.Status = v);
        Set(campaign.SendTime, source.SendTime ?? source.SendStrategy.Datetime ?? source.ScheduledAt, v => campaign.SendTime = v);
        Set(campaign.SendStrategyMethod, source.SendStrategy.Method, v => campaign.SendStrategyMethod = v);
        Set(campaign.Archived, source.Archived, v => campaign.Archived = v);
        Set(campaign.KlaviyoUpdatedAt, source.UpdatedAt, v => campaign.KlaviyoUpdatedAt = v);
        Set(campaign.RemovedFromKlaviyoAt, null, v => campaign.RemovedFromKlaviyoAt = v);
        SetList(campaign.IncludedAudienceIds, source.Audiences.Included, ref changed);
        SetList(campaign.ExcludedAudienceIds, source.Audiences.Excluded, ref changed);
        SetList(campaign.Tags, source.Tags.Select(t => t.Name).Order(StringComparer.Ordinal).ToList(), ref changed);
        changed |= ApplyMessages(campaign, source.Messages);
        return changed;
    }

    private static void SetList(List<string> current, IReadOnlyList<string> value, ref bool changed)
    {
        if (!current.SequenceEqual(value))
        {
            current.Clear();
            current.AddRange(value);
            changed = true;
        }
    }

    private static bool ApplyMessages(Campaign campaign, IReadOnlyList<KlaviyoCampaignMessage> sources)
    {
        var changed = false;
        var emailMessages = sources.Where(m => string.Equals(m.Channel, "email", StringComparison.OrdinalIgnoreCase)).ToList();
        foreach (var source in emailMessages)
        {
            var message = campaign.Messages.FirstOrDefault(m => m.KlaviyoId == source.Id);
            if (message is null)
            {
                message = new CampaignMessage { KlaviyoId = source.Id };
                campaign.Messages.Add(message);
                changed = true;
            }

            if (message.Label != source.Label || message.Subject != source.Subject ||
                message.PreviewText != source.PreviewText || message.TemplateId != source.TemplateId ||
                message.Channel != source.Channel)
            {
                message.Label = source.Label;
                message.Subject = source.Subject;
                message.PreviewText = source.PreviewText;
                message.TemplateId = source.TemplateId;
                message.Channel = source.Channel;
                changed = true;
            }
        }

        var gone = campaign.Messages.Where(m => emailMessages.All(s => s.Id != m.KlaviyoId)).ToList();
        foreach (var message in gone)
        {
            campaign.Messages.Remove(message);
            changed = true;
        }
        return changed;
    }
}
