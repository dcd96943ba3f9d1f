using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>What a cached generation is for, besides its fact group: the message (and the content it was written from), the brief and the model.</summary>
/// <param name="MessageId">The Klaviyo campaign message id.</param>
/// <param name="BriefHash">Hash of the brief; empty when there is none.</param>
/// <param name="ModelId">The model.</param>
/// <param name="ContentHash">Hash of the original content and campaign name the copy is written from.</param>
public sealed record GenerationScope(string MessageId, string BriefHash, string ModelId, string ContentHash);

/// <summary>A fact group's copy as the model wrote it and the guardrails accepted it: plain text, no per-contact values.</summary>
public sealed record GroupCopy(string Subject, string PreviewText, string Intro);

/// <summary>Where model generations are kept between batches, runs and restarts.</summary>
public interface IGenerationCache
{
    /// <summary>The cached copy of those of <paramref name="factsHashes"/> that have one for <paramref name="scope"/>.</summary>
    Task<IReadOnlyDictionary<string, GroupCopy>> GetAsync(GenerationScope scope, IReadOnlyCollection<string> factsHashes, CancellationToken cancellationToken);

    /// <summary>Keeps (or replaces) the copy of each group for <paramref name="scope"/>.</summary>
    Task PutAsync(GenerationScope scope, IReadOnlyCollection<KeyValuePair<string, GroupCopy>> copies, CancellationToken cancellationToken);
}

/// <summary>No persistent cache (hosts without the database, unit tests): every process starts cold.</summary>
public sealed class NoGenerationCache : IGenerationCache
{
    /// <summary>The instance.</summary>
    public static NoGenerationCache Instance { get; } = new();

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, GroupCopy>> GetAsync(GenerationScope scope, IReadOnlyCollection<string> factsHashes, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, GroupCopy>>(new Dictionary<string, GroupCopy>());

    /// <inheritdoc />
    public Task PutAsync(GenerationScope scope, IReadOnlyCollection<KeyValuePair<string, GroupCopy>> copies, CancellationToken cancellationToken) =>
        Task.CompletedTask;
}

/// <summary>
/// The generation cache in the product's SQLite database (table <c>GenerationCache</c>, keyed by facts hash, message,
/// brief hash and model). A row written from content that has since changed (its <see cref="CachedGeneration.ContentHash"/>
/// differs) is a miss, and the new generation replaces it.
/// </summary>
public sealed class SqliteGenerationCache(IDbContextFactory<ReflyDbContext> contextFactory, TimeProvider time) : IGenerationCache
{
    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, GroupCopy>> GetAsync(
        GenerationScope scope, IReadOnlyCollection<string> factsHashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(factsHashes);
        var result = new Dictionary<string, GroupCopy>(StringComparer.Ordinal);
        if (factsHashes.Count == 0)
        {
            return result;
        }

        var hashes = factsHashes.ToList();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        // A parameter collection: EF Core sends it as one JSON parameter (json_each), one SQL text whatever the count.
        var rows = await db.Generations.AsNoTracking()
            .Where(g => g.MessageId == scope.MessageId && g.BriefHash == scope.BriefHash && g.ModelId == scope.ModelId
                && g.ContentHash == scope.ContentHash && hashes.Contains(g.FactsHash))
            .Select(g => new { g.FactsHash, g.Subject, g.PreviewText, g.Intro })
            .ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            result[row.FactsHash] = new GroupCopy(row.Subject, row.PreviewText, row.Intro);
        }

        return result;
    }

    /// <inheritdoc />
    public async Task PutAsync(GenerationScope scope, IReadOnlyCollection<KeyValuePair<string, GroupCopy>> copies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(copies);
        if (copies.Count == 0)
        {
            return;
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow().UtcTicks;
        foreach (var (factsHash, copy) in copies)
        {
            await db.Database.ExecuteSqlRawAsync(
                "INSERT INTO GenerationCache (FactsHash, MessageId, BriefHash, ModelId, ContentHash, Subject, PreviewText, Intro, CreatedAt) " +
                "VALUES ($facts, $message, $brief, $model, $content, $subject, $preview, $intro, $at) " +
                "ON CONFLICT (FactsHash, MessageId, BriefHash, ModelId) DO UPDATE SET ContentHash = excluded.ContentHash, " +
                "Subject = excluded.Subject, PreviewText = excluded.PreviewText, Intro = excluded.Intro, CreatedAt = excluded.CreatedAt",
                [
                    new SqliteParameter("$facts", factsHash),
                    new SqliteParameter("$message", scope.MessageId),
                    new SqliteParameter("$brief", scope.BriefHash),
                    new SqliteParameter("$model", scope.ModelId),
                    new SqliteParameter("$content", scope.ContentHash),
                    new SqliteParameter("$subject", copy.Subject),
                    new SqliteParameter("$preview", copy.PreviewText),
                    new SqliteParameter("$intro", copy.Intro),
                    new SqliteParameter("$at", now),
                ],
                cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
