using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Refly.Core.Personalization;
using Refly.Core.Persistence;

namespace Refly.Core.Impact.Holdouts;

/// <summary>One event on its way into <see cref="HoldoutEventStore"/>.</summary>
public readonly record struct HoldoutEventRow(string ProfileId, HoldoutEventKind Kind, DateTimeOffset At, double Value);

/// <summary>
/// The SQLite side of a holdout: events appended in batches (one prepared statement, one transaction per batch), and
/// the comparison computed in SQL by joining them with the run's contacts (Written = personalized, HeldOut = control),
/// so memory does not grow with the audience: nothing but a batch and the result's few rows is ever in memory.
/// </summary>
public sealed class HoldoutEventStore(IDbContextFactory<ReflyDbContext> contextFactory)
{
    /// <summary>Forgets the run's events from <paramref name="from"/> on: a window read again (after a crash mid-read) is not counted twice.</summary>
    public async Task<long> DeleteFromAsync(Guid runId, DateTimeOffset from, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.ExecuteSqlRawAsync(
            "DELETE FROM HoldoutEvents WHERE RunId = $run AND At >= $from",
            [RunParameter(runId), new SqliteParameter("$from", from.UtcTicks)],
            cancellationToken);
    }

    /// <summary>Appends <paramref name="rows"/> in one transaction.</summary>
    public async Task InsertAsync(Guid runId, IReadOnlyList<HoldoutEventRow> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0)
        {
            return;
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "INSERT INTO HoldoutEvents (RunId, ProfileId, Kind, At, Value) VALUES ($run, $profile, $kind, $at, $value)";
        command.Parameters.Add(RunParameter(runId));
        var profile = command.Parameters.Add("$profile", SqliteType.Text);
        var kind = command.Parameters.Add("$kind", SqliteType.Integer);
        var at = command.Parameters.Add("$at", SqliteType.Integer);
        var value = command.Parameters.Add("$value", SqliteType.Real);
        command.Prepare();
        foreach (var row in rows)
        {
            profile.Value = row.ProfileId;
            kind.Value = (int)row.Kind;
            at.Value = row.At.UtcTicks;
            value.Value = row.Value;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Personalized (Written) vs control (HeldOut) recipients of the run: recipients are contacts with a Received event;
    /// opens, clicks and conversions count each recipient once; revenue and its per-recipient sum of squares for the
    /// interval; the timeline is the cumulative share of each group that opened and clicked by the end of each bucket.
    /// </summary>
    public async Task<HoldoutImpact> ComputeAsync(Guid runId, DateTimeOffset sendTime, DateTimeOffset until, TimeSpan bucket, CancellationToken cancellationToken)
    {
        if (bucket <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(bucket), "The timeline's bucket must be positive.");
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Database.OpenConnectionAsync(cancellationToken);
        var connection = (SqliteConnection)db.Database.GetDbConnection();

        // One pass over the events, grouped per recipient and joined with the run's contacts; the queries below read
        // this (one row per recipient, on disk when large) instead of the events again.
        await ExecuteAsync(connection, "DROP TABLE IF EXISTS temp.HoldoutRecipients", runId, cancellationToken);
        await ExecuteAsync(connection,
            "CREATE TEMP TABLE HoldoutRecipients AS " +
            "SELECT c.State AS State, e.FirstOpen AS FirstOpen, e.FirstClick AS FirstClick, e.Converted AS Converted, e.Revenue AS Revenue " +
            "FROM (SELECT ProfileId, " +
            $"        MAX(Kind = {(int)HoldoutEventKind.Received}) AS Received, " +
            $"        MIN(CASE WHEN Kind = {(int)HoldoutEventKind.Opened} THEN At END) AS FirstOpen, " +
            $"        MIN(CASE WHEN Kind = {(int)HoldoutEventKind.Clicked} THEN At END) AS FirstClick, " +
            $"        MAX(Kind = {(int)HoldoutEventKind.Converted}) AS Converted, " +
            $"        TOTAL(CASE WHEN Kind = {(int)HoldoutEventKind.Converted} THEN Value END) AS Revenue " +
            "      FROM HoldoutEvents WHERE RunId = $run GROUP BY ProfileId) AS e " +
            "JOIN RunContacts AS c ON c.RunId = $run AND c.ProfileId = e.ProfileId " +
            $"WHERE e.Received AND c.State IN ({(int)RunContactState.Written}, {(int)RunContactState.HeldOut})",
            runId, cancellationToken);
        try
        {
            var groups = new Dictionary<long, ImpactRates>();
            await using (var command = connection.CreateCommand())
            {
                command.CommandText =
                    "SELECT State, COUNT(*), COUNT(FirstOpen), COUNT(FirstClick), TOTAL(Converted), TOTAL(Revenue), TOTAL(Revenue * Revenue) " +
                    "FROM temp.HoldoutRecipients GROUP BY State";
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    groups[reader.GetInt64(0)] = new ImpactRates(
                        reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), (long)reader.GetDouble(4), reader.GetDouble(5), reader.GetDouble(6));
                }
            }
            var empty = new ImpactRates(0, 0, 0, 0, 0, 0);
            var personalized = groups.GetValueOrDefault((long)RunContactState.Written, empty);
            var control = groups.GetValueOrDefault((long)RunContactState.HeldOut, empty);
            var timeline = await TimelineAsync(connection, sendTime, until, bucket, personalized.Recipients, control.Recipients, cancellationToken);
            return HoldoutImpact.Of(personalized, control, timeline);
        }
        finally
        {
            await ExecuteAsync(connection, "DROP TABLE IF EXISTS temp.HoldoutRecipients", runId, CancellationToken.None);
        }
    }

    private static async Task<List<ImpactTimelinePoint>> TimelineAsync(
        SqliteConnection connection, DateTimeOffset sendTime, DateTimeOffset until, TimeSpan bucket, long personalized, long control, CancellationToken cancellationToken)
    {
        var buckets = Math.Max(1, (int)Math.Ceiling((until - sendTime) / bucket));
        // [group, metric, bucket]: first opens and first clicks per bucket (0: personalized, 1: control).
        var counts = new long[2, 2, buckets];
        await using (var command = connection.CreateCommand())
        {
            command.CommandText =
                "SELECT State, 0, MIN(MAX((FirstOpen - $send) / $bucket, 0), $last), COUNT(*) FROM temp.HoldoutRecipients WHERE FirstOpen IS NOT NULL GROUP BY 1, 3 " +
                "UNION ALL " +
                "SELECT State, 1, MIN(MAX((FirstClick - $send) / $bucket, 0), $last), COUNT(*) FROM temp.HoldoutRecipients WHERE FirstClick IS NOT NULL GROUP BY 1, 3";
            command.Parameters.AddWithValue("$send", sendTime.UtcTicks);
            command.Parameters.AddWithValue("$bucket", bucket.Ticks);
            command.Parameters.AddWithValue("$last", buckets - 1);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var group = reader.GetInt64(0) == (long)RunContactState.Written ? 0 : 1;
                counts[group, reader.GetInt32(1), reader.GetInt32(2)] += reader.GetInt64(3);
            }
        }

        var points = new List<ImpactTimelinePoint>(buckets);
        long po = 0, co = 0, pc = 0, cc = 0;
        for (var b = 0; b < buckets; b++)
        {
            po += counts[0, 0, b];
            co += counts[1, 0, b];
            pc += counts[0, 1, b];
            cc += counts[1, 1, b];
            var at = sendTime + (bucket * (b + 1));
            points.Add(new ImpactTimelinePoint(at > until ? until : at, Rate(po, personalized), Rate(co, control), Rate(pc, personalized), Rate(cc, control)));
        }
        return points;

        static double Rate(long count, long recipients) => recipients == 0 ? 0 : (double)count / recipients;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, Guid runId, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.Add(RunParameter(runId));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Text, as EF Core stores Guid keys in SQLite.
    private static SqliteParameter RunParameter(Guid runId) => new("$run", SqliteType.Text) { Value = runId };
}
