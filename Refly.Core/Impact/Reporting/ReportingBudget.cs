using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Refly.Core.Persistence;

namespace Refly.Core.Impact.Reporting;

/// <summary>What is left of the day's report queries, and when the next one is allowed.</summary>
/// <param name="Used">Queries asked for today (UTC).</param>
/// <param name="Limit">Queries Refly allows itself per UTC day.</param>
/// <param name="NextAllowedAt">Now while queries are left, else the next midnight UTC.</param>
public sealed record ReportingBudgetStatus(int Used, int Limit, DateTimeOffset NextAllowedAt)
{
    /// <summary>Queries left today.</summary>
    public int Remaining => Math.Max(0, Limit - Used);

    /// <summary>True when no query is left today.</summary>
    public bool Spent => Remaining == 0;
}

/// <summary>
/// Klaviyo's daily limit of query_campaign_values (a fixed UTC day) kept on Refly's side, in SQLite so that every
/// instance and a restart count together: a query is reserved (one atomic conditional upsert) before it is sent, and
/// none is sent once the day's budget is spent, so Refly never fires a request Klaviyo would refuse until midnight.
/// The pacing handler keeps the 1/s and 2/min limits (a query over them waits there).
/// </summary>
public sealed class ReportingBudget(IDbContextFactory<ReflyDbContext> contextFactory, IOptionsMonitor<ReportingOptions> options, TimeProvider time)
{
    private int Limit => Math.Clamp(options.CurrentValue.DailyQueryBudget, 0, ReportingOptions.KlaviyoDailyLimit);

    /// <summary>Today's use and the next allowed time.</summary>
    public async Task<ReportingBudgetStatus> StatusAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var day = DayOf(now);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var used = await db.ReportingBudgetDays.Where(d => d.Day == day).Select(d => (int?)d.Queries).FirstOrDefaultAsync(cancellationToken) ?? 0;
        return Status(used, now);
    }

    /// <summary>Takes one query of today's budget; false (nothing taken) when it is spent.</summary>
    public async Task<bool> TryReserveAsync(CancellationToken cancellationToken)
    {
        var limit = Limit;
        if (limit == 0)
        {
            return false;
        }
        var day = DayOf(time.GetUtcNow()).UtcTicks;
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        // One statement: two instances reserving at once cannot both take the last query.
        var changed = await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "ReportingBudgetDays" ("Day", "Queries") VALUES ({day}, 1) ON CONFLICT("Day") DO UPDATE SET "Queries" = "Queries" + 1 WHERE "Queries" < {limit}""",
            cancellationToken);
        return changed == 1;
    }

    /// <summary>
    /// Klaviyo refused for the day (the account's other integrations spent its window): the rest of today's budget is
    /// marked used so nothing more is sent before midnight UTC.
    /// </summary>
    public async Task MarkSpentAsync(CancellationToken cancellationToken)
    {
        var day = DayOf(time.GetUtcNow()).UtcTicks;
        var limit = Limit;
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.ExecuteSqlInterpolatedAsync(
            $"""INSERT INTO "ReportingBudgetDays" ("Day", "Queries") VALUES ({day}, {limit}) ON CONFLICT("Day") DO UPDATE SET "Queries" = MAX("Queries", {limit})""",
            cancellationToken);
    }

    private ReportingBudgetStatus Status(int used, DateTimeOffset now) =>
        new(used, Limit, used < Limit ? now : DayOf(now).AddDays(1));

    private static DateTimeOffset DayOf(DateTimeOffset at) => new(at.UtcDateTime.Date, TimeSpan.Zero);
}
