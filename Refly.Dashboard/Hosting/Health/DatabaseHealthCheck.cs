using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Refly.Core.Persistence;

namespace Refly.Dashboard.Hosting.Health;

/// <summary>The SQLite database answers a query on the schema the app needs (so a missing migration shows too).</summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<ReflyDbContext> contextFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
            var campaigns = await db.Campaigns.CountAsync(cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            var data = new Dictionary<string, object> { ["campaigns"] = campaigns, ["pendingMigrations"] = pending };
            return pending == 0
                ? HealthCheckResult.Healthy("SQLite reachable, schema up to date", data)
                : HealthCheckResult.Degraded($"{pending} migration(s) not applied", data: data);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("SQLite not reachable: " + ex.Message, ex);
        }
    }
}
