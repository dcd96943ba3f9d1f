using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace Refly.Core.Persistence;

/// <summary>Applies pending EF Core migrations and the SQLite settings the app relies on.</summary>
public sealed class DatabaseMigrator(IDbContextFactory<ReflyDbContext> contextFactory, ILogger<DatabaseMigrator> logger)
{
    /// <summary>Migrates the database to the latest schema; safe to call on every start.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await MigrationGate.MigrateAsync(db, "database", logger, cancellationToken);

        // WAL lets the dashboard read while background jobs write; it is a property of the file and persists.
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}
