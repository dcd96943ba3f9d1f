using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>One edited or regenerated sample to approve: the group, the message and the copy (plain text).</summary>
public sealed record ApprovedCopyInput(string MessageId, string FactsHash, string Subject, string? PreviewText, string? Intro, ApprovedCopyOrigin Origin);

/// <summary>
/// Saves the copy a marketer approved for a campaign (replacing the previous approval), copies it to a run when the run
/// starts, and reads a run's copy back (on start and on resume).
/// </summary>
public sealed class ApprovedCopyStore(IDbContextFactory<ReflyDbContext> contextFactory, TimeProvider time)
{
    /// <summary>Replaces the campaign's approved copy with <paramref name="copies"/> (an empty list clears it).</summary>
    public async Task SaveAsync(
        string campaignId, IReadOnlyDictionary<string, MessageContent> originals, IReadOnlyList<ApprovedCopyInput> copies, string? approvedBy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(originals);
        ArgumentNullException.ThrowIfNull(copies);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.ApprovedCopies.Where(c => c.CampaignKlaviyoId == campaignId && c.RunId == Guid.Empty).ExecuteDeleteAsync(cancellationToken);
        var now = time.GetUtcNow();
        foreach (var copy in copies.DistinctBy(c => (c.MessageId, c.FactsHash)))
        {
            db.ApprovedCopies.Add(new ApprovedCopy
            {
                CampaignKlaviyoId = campaignId,
                RunId = Guid.Empty,
                MessageId = copy.MessageId,
                FactsHash = copy.FactsHash,
                Subject = copy.Subject.Trim(),
                PreviewText = copy.PreviewText?.Trim() ?? string.Empty,
                Intro = copy.Intro?.Trim() ?? string.Empty,
                Origin = copy.Origin,
                OriginalHash = originals.TryGetValue(copy.MessageId, out var original) ? OriginalHashOf(original) : string.Empty,
                ApprovedBy = approvedBy,
                ApprovedAt = now,
            });
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>The campaign's saved approval (what the modal shows again and what the next run starts with).</summary>
    public Task<IReadOnlyList<ApprovedCopy>> GetForCampaignAsync(string campaignId, CancellationToken cancellationToken) =>
        GetAsync(campaignId, Guid.Empty, cancellationToken);

    /// <summary>The copy a run started with.</summary>
    public Task<IReadOnlyList<ApprovedCopy>> GetForRunAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        return GetAsync(run.CampaignKlaviyoId, run.Id, cancellationToken);
    }

    /// <summary>Copies the campaign's saved approval to <paramref name="runId"/>, once (a second call changes nothing).</summary>
    public async Task CopyToRunAsync(string campaignId, Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        if (await db.ApprovedCopies.AnyAsync(c => c.CampaignKlaviyoId == campaignId && c.RunId == runId, cancellationToken))
        {
            return;
        }

        var saved = await db.ApprovedCopies.AsNoTracking().Where(c => c.CampaignKlaviyoId == campaignId && c.RunId == Guid.Empty).ToListAsync(cancellationToken);
        foreach (var copy in saved)
        {
            copy.RunId = runId;
            db.ApprovedCopies.Add(copy);
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>A stable hash of a message's original subject and preview text.</summary>
    public static string OriginalHashOf(MessageContent original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(string.Concat(original.Subject, "\u001F", original.PreviewText ?? string.Empty)));
        return Convert.ToHexStringLower(digest.AsSpan(0, 16));
    }

    private async Task<IReadOnlyList<ApprovedCopy>> GetAsync(string campaignId, Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.ApprovedCopies.AsNoTracking()
            .Where(c => c.CampaignKlaviyoId == campaignId && c.RunId == runId)
            .OrderBy(c => c.MessageId).ThenBy(c => c.FactsHash)
            .ToListAsync(cancellationToken);
    }
}
