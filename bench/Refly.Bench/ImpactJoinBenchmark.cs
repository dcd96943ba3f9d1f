using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Campaigns;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Persistence;
using Refly.Core.Personalization;

namespace Refly.Bench;

/// <summary>
/// --only impact-join: the holdout's SQLite path at 1,000,000 recipients. A run's contacts (10% held out by
/// <see cref="HoldoutSelector"/>), then a send's events in Klaviyo's order (by time, profiles interleaved; Received for
/// everyone, about 30% opens, 15% of openers click, 20% of clickers order) appended through
/// <see cref="HoldoutEventStore.InsertAsync"/> in the reader's batches, then the join and the comparison
/// (<see cref="HoldoutEventStore.ComputeAsync"/>). Events are generated page by page, as the reader receives them, so
/// the working set shows what the path itself holds.
/// </summary>
internal static class ImpactJoinBenchmark
{
    public static async Task<string> RunAsync(int recipients, double holdoutShare = 0.10)
    {
        var folder = Directory.CreateTempSubdirectory("refly-bench-impact-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(folder, "refly.db")}",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration).AddPersistence(configuration);
        services.AddSingleton<HoldoutEventStore>();
        await using var provider = services.BuildServiceProvider();
        await provider.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None);
        var factory = provider.GetRequiredService<IDbContextFactory<ReflyDbContext>>();
        var store = provider.GetRequiredService<HoldoutEventStore>();

        var runId = Guid.NewGuid();
        var sendTime = new DateTimeOffset(2026, 11, 2, 9, 0, 0, TimeSpan.Zero);
        await using (var db = await factory.CreateDbContextAsync())
        {
            var campaign = new Campaign { KlaviyoId = "bench", Name = "bench", RawStatus = "sent", Status = CampaignStatus.Sent, SendTime = sendTime };
            db.Campaigns.Add(campaign);
            await db.SaveChangesAsync();
            db.Runs.Add(new PersonalizationRun
            {
                Id = runId, CampaignId = campaign.Id, CampaignKlaviyoId = "bench", MessageIds = ["M1"], State = RunState.Completed,
                HoldoutShare = holdoutShare, CreatedAt = sendTime.AddHours(-1),
            });
            await db.SaveChangesAsync();
        }
        var contactsClock = Stopwatch.StartNew();
        await InsertContactsAsync(factory, runId, recipients, holdoutShare);
        contactsClock.Stop();

        GC.Collect();
        using var sampler = new WorkingSetSampler();
        var insertClock = Stopwatch.StartNew();
        var events = 0L;
        var batch = new List<HoldoutEventRow>(6_000);
        foreach (var page in EventPages(recipients, sendTime))
        {
            batch.AddRange(page);
            if (batch.Count >= 5_000)
            {
                await store.InsertAsync(runId, batch, CancellationToken.None);
                events += batch.Count;
                batch.Clear();
            }
        }
        await store.InsertAsync(runId, batch, CancellationToken.None);
        events += batch.Count;
        insertClock.Stop();

        var joinClock = Stopwatch.StartNew();
        var impact = await store.ComputeAsync(runId, sendTime, sendTime.AddDays(7), TimeSpan.FromHours(1), CancellationToken.None);
        joinClock.Stop();
        var dbMegabytes = new DirectoryInfo(folder).GetFiles().Sum(f => f.Length) / 1024.0 / 1024.0;
        if (impact.Personalized.Recipients + impact.Control.Recipients != recipients)
        {
            throw new InvalidOperationException($"impact-join: {impact.Personalized.Recipients + impact.Control.Recipients:N0} recipients joined of {recipients:N0}.");
        }
        Directory.Delete(folder, recursive: true);
        return string.Create(CultureInfo.InvariantCulture,
            $"| {recipients:N0} | {holdoutShare:P0} ({impact.Control.Recipients:N0}) | {events:N0} | {contactsClock.Elapsed.TotalSeconds:0.0} s | {insertClock.Elapsed.TotalSeconds:0.0} s ({events / insertClock.Elapsed.TotalSeconds:N0} rows/s) | {joinClock.Elapsed.TotalSeconds:0.0} s ({events / joinClock.Elapsed.TotalSeconds:N0} rows/s) | {impact.Personalized.OpenRate:P1} / {impact.Control.OpenRate:P1} | {impact.Timeline.Count} | {sampler.PeakMegabytes:0} MB | {dbMegabytes:0} MB |");
    }

    private static string ProfileId(int i) => "01BENCH" + i.ToString("D10", CultureInfo.InvariantCulture);

    private static async Task InsertContactsAsync(IDbContextFactory<ReflyDbContext> factory, Guid runId, int recipients, double share)
    {
        await using var db = await factory.CreateDbContextAsync();
        await db.Database.OpenConnectionAsync();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        for (var start = 0; start < recipients; start += 100_000)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync();
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO RunContacts (RunId, ProfileId, Email, State) VALUES ($run, $profile, NULL, $state)";
            command.Parameters.Add(new SqliteParameter("$run", SqliteType.Text) { Value = runId });
            var profile = command.Parameters.Add("$profile", SqliteType.Text);
            var state = command.Parameters.Add("$state", SqliteType.Integer);
            command.Prepare();
            for (var i = start; i < Math.Min(recipients, start + 100_000); i++)
            {
                var id = ProfileId(i);
                profile.Value = id;
                state.Value = (int)(HoldoutSelector.IsHeldOut(runId, id, share) ? RunContactState.HeldOut : RunContactState.Written);
                await command.ExecuteNonQueryAsync();
            }
            await transaction.CommitAsync();
        }
    }

    /// <summary>Pages of up to 1,000 events in time order: Received over the first 10 minutes, then opens, clicks and orders over the week.</summary>
    private static IEnumerable<List<HoldoutEventRow>> EventPages(int recipients, DateTimeOffset sendTime)
    {
        var random = new Random(17);
        // (recipient, kind, seconds after the send), generated per stage and sorted per stage by time in chunks.
        foreach (var (kind, chance, spreadSeconds) in new[]
                 {
                     (HoldoutEventKind.Received, 1.0, 600), (HoldoutEventKind.Opened, 0.30, 7 * 86_400),
                     (HoldoutEventKind.Clicked, 0.045, 7 * 86_400), (HoldoutEventKind.Converted, 0.009, 7 * 86_400),
                 })
        {
            var page = new List<HoldoutEventRow>(1_000);
            // Recipients in a shuffled order (a stride co-prime with the count), as events of many profiles interleave.
            const long stride = 7_919;
            for (long n = 0; n < recipients; n++)
            {
                var recipient = (int)(n * stride % recipients);
                if (random.NextDouble() >= chance)
                {
                    continue;
                }
                var at = sendTime.AddSeconds((double)n / recipients * spreadSeconds);
                page.Add(new HoldoutEventRow(ProfileId(recipient), kind, at, kind == HoldoutEventKind.Converted ? 20 + random.Next(0, 8_000) / 100.0 : 0));
                if (page.Count == 1_000)
                {
                    yield return page;
                    page = new List<HoldoutEventRow>(1_000);
                }
            }
            if (page.Count > 0)
            {
                yield return page;
            }
        }
    }
}
