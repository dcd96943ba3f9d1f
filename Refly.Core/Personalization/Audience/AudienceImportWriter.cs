using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore.Storage;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Observability;
using Refly.Core.Persistence;
namespace Refly.Core.Personalization;

/// <summary>
/// The writer half of a run's audience work: gathers personalized pages into profile bulk import jobs (bounded by
/// Klaviyo's size limits and a flush interval), keeps up to <see cref="PersonalizationOptions.MaxImportJobsInFlight"/>
/// in flight behind the reads, records each job in the run's ledger, and confirms them in order: contacts marked,
/// counts and audience cursor checkpointed in one transaction per batch, so a restart resumes without skipping anyone;
/// contacts of unconfirmed batches are simply written again (idempotent).
/// </summary>
public sealed class AudienceImportWriter(
    IKlaviyoClient klaviyo,
    RunStore store,
    RunImportJobLedger importJobs,
    TimeProvider time,
    IOptions<PersonalizationOptions> options,
    ReflyMetrics metrics,
    ILogger<AudienceImportWriter> logger)
{
    private static readonly RunState[] _inProgress = [RunState.InProgress];
    private static readonly JsonSerializerOptions _jsonOptions = new(JsonSerializerDefaults.Web);
    private readonly PersonalizationOptions _options = options.Value;

    /// <summary>Writes and confirms the pages until <paramref name="pages"/> completes, or until the run leaves InProgress.</summary>
    public async Task WriteAsync(PersonalizationRun run, ChannelReader<PersonalizedPage> pages, CancellationToken cancellationToken) =>
        await WriteAsync(run, pages, meter: null, cancellationToken);

    /// <summary>Writes the pages; each confirmed batch also saves the run's personalization stats (counts by source, <paramref name="meter"/>'s totals).</summary>
    public async Task WriteAsync(PersonalizationRun run, ChannelReader<PersonalizedPage> pages, RunUsageMeter? meter, CancellationToken cancellationToken)
    {
        var inFlight = new Queue<(Batch Batch, Task<BatchResult> Result)>();
        using var slots = new SemaphoreSlim(_options.MaxImportJobsInFlight);
        // Imports still in flight when the writer stops (a failure, a database error) are stopped and awaited, so none
        // outlives the run's job and races the next one; their contacts stay unconfirmed and are written again on resume.
        using var importStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var batch = new Batch();
        var batchStarted = time.GetUtcNow();

        // Sends the batch once an import slot is free. While every slot is taken, the jobs that finish are confirmed
        // (in order) as they finish, so progress and the checkpoint keep up behind one slow job. False: the run stopped.
        async Task<bool> SubmitAsync()
        {
            if (batch.Pages.Count == 0)
            {
                return true;
            }
            var slot = slots.WaitAsync(cancellationToken);
            while (!slot.IsCompleted && inFlight.Count > 0)
            {
                await Task.WhenAny(slot, inFlight.Peek().Result);
                if (!await ConfirmCompletedAsync(waitForAll: false))
                {
                    return false;
                }
            }
            await slot;
            var submitted = batch;
            inFlight.Enqueue((submitted, ImportAsync(run.Id, submitted, slots, importStop.Token)));
            batch = new Batch();
            return true;
        }

        async Task<bool> ConfirmCompletedAsync(bool waitForAll)
        {
            while (inFlight.Count > 0 && (waitForAll || inFlight.Peek().Result.IsCompleted))
            {
                var (done, result) = inFlight.Dequeue();
                if (!await ConfirmAsync(run.Id, done, await result, meter, cancellationToken))
                {
                    return false;
                }
            }
            return true;
        }

        try
        {
            await WriteAndConfirmAsync();
        }
        finally
        {
            if (inFlight.Count > 0)
            {
                await importStop.CancelAsync();
                // Wait for the imports to stop; their outcome no longer matters (the run stopped, or each was confirmed).
                await Task.WhenAll(inFlight.Select(f => (Task)f.Result)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }

        async Task WriteAndConfirmAsync()
        {
            while (true)
            {
                // Wait for pages, but never longer than a partial batch may wait before it is sent.
                var more = pages.WaitToReadAsync(cancellationToken).AsTask();
                if (batch.Pages.Count > 0 && !more.IsCompleted)
                {
                    var timeLeft = _options.BatchFlushInterval - (time.GetUtcNow() - batchStarted);
                    var flushDue = Task.Delay(timeLeft > TimeSpan.Zero ? timeLeft : TimeSpan.Zero, time, cancellationToken);
                    if (await Task.WhenAny(more, flushDue) == flushDue)
                    {
                        await flushDue;
                        if (!await SubmitAsync())
                        {
                            return;
                        }
                    }
                }
                if (!await more)
                {
                    break;
                }

                while (pages.TryRead(out var page))
                {
                    if (batch.Patches > 0 &&
                        (batch.Patches + page.Patches.Count > _options.MaxProfilesPerImportJob || batch.Bytes + page.Bytes > _options.MaxImportJobBytes) &&
                        !await SubmitAsync())
                    {
                        return;
                    }
                    if (batch.Pages.Count == 0)
                    {
                        batchStarted = time.GetUtcNow();
                    }
                    batch.Add(page);
                }
                if ((batch.Patches >= _options.MaxProfilesPerImportJob || time.GetUtcNow() - batchStarted >= _options.BatchFlushInterval) &&
                    !await SubmitAsync())
                {
                    return;
                }
                if (!await ConfirmCompletedAsync(waitForAll: false))
                {
                    return;
                }
            }

            await pages.Completion; // surfaces a reader failure
            if (await SubmitAsync())
            {
                await ConfirmCompletedAsync(waitForAll: true);
            }
        }
    }

    private async Task<BatchResult> ImportAsync(Guid runId, Batch batch, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        try
        {
            var patches = batch.Pages.SelectMany(p => p.Patches).ToList();
            if (patches.Count == 0)
            {
                return new BatchResult([], []);
            }
            for (var attempt = 1; ; attempt++)
            {
                var jobId = await klaviyo.CreateProfileImportJobAsync(patches, cancellationToken);
                // Recorded even when the run is being cancelled right now: its clean-up must wait for this job to end.
                await importJobs.RecordSubmittedAsync(runId, jobId, CancellationToken.None);
                var job = await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken);
                while (!job.IsFinished)
                {
                    await Task.Delay(_options.ImportPollInterval, time, cancellationToken);
                    job = await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken);
                }
                await importJobs.RecordFinishedAsync(jobId, RunImportJobLedger.TerminalStateOf(job.Status) ?? RunImportJobState.Failed, CancellationToken.None);

                if (job.Status == "complete" || attempt >= 2)
                {
                    var failedIds = new HashSet<string>(StringComparer.Ordinal);
                    if (job.Status != "complete")
                    {
                        failedIds.UnionWith(patches.Select(p => p.ProfileId));
                    }
                    else if (job.FailedCount > 0)
                    {
                        await CollectFailuresAsync(jobId, patches, failedIds, cancellationToken);
                    }
                    var written = patches.Where(p => !failedIds.Contains(p.ProfileId)).Select(p => p.ProfileId).ToList();
                    return new BatchResult(written, failedIds.ToList());
                }
                logger.LogWarning("Import job {JobId} ended {Status}; sending its {Count} profiles again", jobId, job.Status, patches.Count);
            }
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task CollectFailuresAsync(string jobId, List<ProfilePropertyPatch> patches, HashSet<string> failedIds, CancellationToken cancellationToken)
    {
        var byEmail = patches.Where(p => p.Email is not null).GroupBy(p => p.Email!, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.First().ProfileId, StringComparer.OrdinalIgnoreCase);
        await foreach (var error in klaviyo.GetProfileImportErrorsAsync(jobId, cancellationToken))
        {
            if (error.ProfileId is { } id)
            {
                failedIds.Add(id);
            }
            else if (error.Email is { } email && byEmail.TryGetValue(email, out var byMail))
            {
                failedIds.Add(byMail);
            }
        }
    }

    /// <summary>
    /// Marks the batch's contacts, moves the checkpoint past its pages and saves the counts, in one transaction per batch:
    /// if the database refuses the write, none of it happened, and a resume re-reads and re-writes the batch.
    /// </summary>
    private async Task<bool> ConfirmAsync(Guid runId, Batch batch, BatchResult result, RunUsageMeter? meter, CancellationToken cancellationToken)
    {
        async Task MarkContactsAsync(ReflyDbContext db, CancellationToken token)
        {
            await SetContactStatesAsync(db, runId, result.Written, RunContactState.Written, token);
            await SetContactStatesAsync(db, runId, result.Failed, RunContactState.Failed, token);
            var sources = new PageSourceCounts(
                batch.Pages.Sum(p => p.Sources.Model), batch.Pages.Sum(p => p.Sources.RuleBased), batch.Pages.Sum(p => p.Sources.Original));
            await RunPersonalizationStatsStore.AddBatchAsync(db, runId, sources, meter, token);
        }

        var updated = await store.UpdateAsync(runId, _inProgress, run =>
        {
            run.Written += result.Written.Count;
            run.Failed += result.Failed.Count;
            var heldOut = batch.Pages.Sum(p => p.HeldOut);
            run.HeldOut += heldOut;
            run.Processed += result.Written.Count + result.Failed.Count + heldOut;
            run.FellBack += batch.Pages.Sum(p => p.FellBack);
            run.Checkpoint.BatchNumber++;
            foreach (var page in batch.Pages)
            {
                var source = run.Checkpoint.Sources[page.SourceIndex];
                source.Cursor = page.CursorAfter;
                source.Done = page.CursorAfter is null;
            }
        }, MarkContactsAsync, cancellationToken);
        if (updated is not null)
        {
            metrics.BatchConfirmed(result.Written.Count, result.Failed.Count);
        }
        return updated is not null;
    }

    /// <summary>
    /// Moves a batch's contacts (up to 10,000) to <paramref name="state"/> in one statement; the ids travel as one JSON
    /// parameter because an IN list of 10,000 parameters would be compiled into a new SQL text for every batch size.
    /// </summary>
    private static async Task SetContactStatesAsync(
        ReflyDbContext db, Guid runId, IReadOnlyCollection<string> profileIds, RunContactState state, CancellationToken cancellationToken)
    {
        if (profileIds.Count == 0)
        {
            return;
        }
        // Through EF so that it joins the transaction that also saves the checkpoint.
        await db.Database.ExecuteSqlRawAsync(
            "UPDATE RunContacts SET State = $state WHERE RunId = $run AND ProfileId IN (SELECT value FROM json_each($ids))",
            [
                new SqliteParameter("$run", SqliteType.Text) { Value = runId },
                new SqliteParameter("$state", (int)state),
                new SqliteParameter("$ids", JsonSerializer.Serialize(profileIds, _jsonOptions)),
            ],
            cancellationToken);
    }

    private sealed class Batch
    {
        public List<PersonalizedPage> Pages { get; } = [];

        public int Patches { get; private set; }

        public int Bytes { get; private set; }

        public void Add(PersonalizedPage page)
        {
            Pages.Add(page);
            Patches += page.Patches.Count;
            Bytes += page.Bytes;
        }
    }

    private sealed record BatchResult(List<string> Written, List<string> Failed);
}
