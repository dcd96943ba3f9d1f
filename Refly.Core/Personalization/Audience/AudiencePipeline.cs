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

/// <summary>How the audience part of a run ended.</summary>
public sealed record AudienceOutcome(bool ReachedEnd, string? StopReason);

/// <summary>
/// The audience half of a run (docs/ARCHITECTURE.md, "A run's life"): streams the audience page by page (included lists/segments de-duplicated by profile id,
/// minus the excluded ones), personalizes every selected message for each contact (profiles are read once per run
/// whatever the number of messages), and writes the properties with profile bulk import jobs, pipelined behind the
/// reads. Progress and the audience cursor are checkpointed after every confirmed batch, in order, so a restart
/// resumes without skipping anyone; contacts of unconfirmed batches are simply written again (idempotent).
/// </summary>
public sealed class AudiencePipeline(
    IKlaviyoClient klaviyo,
    GroupDirectory groups,
    IDbContextFactory<ReflyDbContext> contextFactory,
    PersonalizerSelector personalizers,
    RunStore store,
    RunImportJobLedger importJobs,
    LeaseManager leases,
    TimeProvider time,
    IOptions<PersonalizationOptions> options,
    ReflyMetrics metrics,
    ILogger<AudiencePipeline> logger)
{
    private static readonly RunState[] _inProgress = [RunState.InProgress];
    private static readonly JsonSerializerOptions _jsonOptions = new(JsonSerializerDefaults.Web);
    private readonly PersonalizationOptions _options = options.Value;

    public async Task<AudienceOutcome> RunAsync(PersonalizationRun run, string campaignName, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        // Chosen once: a personalizer changed in Settings meanwhile applies to the next run, not halfway through this one.
        var personalizer = personalizers.Current;
        run = await PrepareResumeAsync(run, cancellationToken) ?? throw new OperationCanceledException("The run left InProgress.");
        run = await LoadExclusionsAsync(run, audiences, cancellationToken) ?? throw new OperationCanceledException("The run left InProgress.");
        run = await InitSourcesAsync(run, audiences, cancellationToken) ?? throw new OperationCanceledException("The run left InProgress.");

        var pages = Channel.CreateBounded<PageWork>(new BoundedChannelOptions(64) { SingleReader = false, SingleWriter = false });
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = ReadAudienceAsync(run, campaignName, personalizer, pages.Writer, readerStop.Token);
        try
        {
            await WriteBatchesAsync(run, pages.Reader, cancellationToken);
        }
        finally
        {
            await readerStop.CancelAsync();
            await Task.WhenAny(reader);
        }
        return await reader;
    }

    /// <summary>Contacts of batches never confirmed are forgotten (they will be read and written again); counts come from what is confirmed.</summary>
    private async Task<PersonalizationRun?> PrepareResumeAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        await ForgetUnconfirmedAsync(run.Id, cancellationToken);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var written = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.Written, cancellationToken);
        var failed = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.Failed, cancellationToken);
        return await store.UpdateAsync(run.Id, _inProgress, r =>
        {
            r.Written = written;
            r.Failed = failed;
            r.Processed = written + failed;
        }, cancellationToken);
    }

    /// <summary>
    /// Marks the run's contacts sent in batches whose import job was never confirmed (the process stopped, or lost the
    /// run's lease) as Unconfirmed: they are claimed and written again when their page is read again. Returns how many.
    /// </summary>
    public async Task<int> ForgetUnconfirmedAsync(Guid runId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await leases.BeginFencedAsync(db, RunLease.NameFor(runId), cancellationToken);
        // Kept (not deleted) so that a cancel before they are read again still removes what their import jobs may have written.
        var count = await db.RunContacts.Where(c => c.RunId == runId && c.State == RunContactState.Pending)
            .ExecuteUpdateAsync(u => u.SetProperty(c => c.State, RunContactState.Unconfirmed), cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return count;
    }

    private async Task<PersonalizationRun?> LoadExclusionsAsync(PersonalizationRun run, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        if (run.Checkpoint.ExclusionsLoaded)
        {
            return run;
        }
        foreach (var groupId in audiences.Excluded)
        {
            var group = await ResolveGroupAsync(groupId, cancellationToken);
            if (group is null)
            {
                await store.AddEventAsync(run.Id, "Warning", $"Excluded list or segment {groupId} no longer exists in Klaviyo; nobody is excluded through it.", cancellationToken);
                continue;
            }
            string? cursor = null;
            do
            {
                var page = await klaviyo.GetGroupProfilesPageAsync(group.Ref, cursor, null, cancellationToken);
                await InsertContactsAsync(run.Id, page.Items.Select(p => (p.Id, p.Email)), RunContactState.Excluded, cancellationToken);
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        return await store.UpdateAsync(run.Id, _inProgress, r => r.Checkpoint.ExclusionsLoaded = true, cancellationToken);
    }

    /// <summary>
    /// Plans the audience streams: one per included list or segment, and a large one split into disjoint
    /// joined_group_at windows so several pages are read at once. Every window ends at the run's start: contacts who
    /// join a list after the run started are not part of this run (they receive the original content through the
    /// defaults), which keeps the audience fixed and the windows disjoint across restarts.
    /// </summary>
    private async Task<PersonalizationRun?> InitSourcesAsync(PersonalizationRun run, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        if (run.Checkpoint.Sources.Count > 0)
        {
            return run;
        }
        var snapshotAt = TruncateToSecond(run.StartedAt ?? time.GetUtcNow());
        var sources = new List<SourceCheckpoint>();
        foreach (var groupId in audiences.Included.Distinct(StringComparer.Ordinal))
        {
            var group = await ResolveGroupAsync(groupId, cancellationToken);
            if (group is null)
            {
                await store.AddEventAsync(run.Id, "Warning", $"Included list or segment {groupId} no longer exists in Klaviyo; skipped.", cancellationToken);
                continue;
            }
            var kind = group.Ref.Kind == KlaviyoGroupKind.List ? "list" : "segment";
            foreach (var (from, to) in await PlanWindowsAsync(group, snapshotAt, cancellationToken))
            {
                sources.Add(new SourceCheckpoint { GroupId = group.Ref.Id, Kind = kind, JoinedFrom = from, JoinedBefore = to });
            }
        }
        return await store.UpdateAsync(run.Id, _inProgress, r => r.Checkpoint.Sources = sources, cancellationToken);
    }

    private async Task<List<(DateTimeOffset? From, DateTimeOffset To)>> PlanWindowsAsync(KlaviyoGroup group, DateTimeOffset snapshotAt, CancellationToken cancellationToken)
    {
        var windows = Math.Clamp((int)((group.ProfileCount ?? 0) / _options.ProfilesPerWindow), 1, _options.MaxWindowsPerGroup);
        if (windows == 1)
        {
            return [(null, snapshotAt)];
        }
        var earliest = await klaviyo.GetJoinedBoundAsync(group.Ref, latest: false, cancellationToken);
        if (earliest is null || earliest >= snapshotAt)
        {
            return [(null, snapshotAt)];
        }
        // Equal slices of time between the first join and the run's start, on whole seconds (Klaviyo's filter precision).
        var start = TruncateToSecond(earliest.Value);
        var seconds = (long)(snapshotAt - start).TotalSeconds;
        windows = (int)Math.Min(windows, Math.Max(1, seconds));
        var result = new List<(DateTimeOffset? From, DateTimeOffset To)>(windows);
        DateTimeOffset? from = null;
        for (var i = 1; i <= windows; i++)
        {
            var to = i == windows ? snapshotAt : start.AddSeconds(seconds * i / windows);
            result.Add((from, to));
            from = to;
        }
        return result;
    }

    private static DateTimeOffset TruncateToSecond(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>Campaign audiences hold list and segment ids alike: ask Klaviyo which one it is.</summary>
    private Task<KlaviyoGroup?> ResolveGroupAsync(string groupId, CancellationToken cancellationToken) =>
        groups.ResolveAsync(groupId, cancellationToken);

    /// <summary>
    /// Reads the planned streams with <see cref="PersonalizationOptions.ReadConcurrency"/> workers: each takes the next
    /// unfinished stream and reads it page by page (its pages stay in order, which the in-order checkpoint relies on).
    /// All workers share the client's per-endpoint pacing, so together they stay within Klaviyo's limits.
    /// </summary>
    private async Task<AudienceOutcome> ReadAudienceAsync(
        PersonalizationRun run, string campaignName, IPersonalizer personalizer, ChannelWriter<PageWork> pages, CancellationToken cancellationToken)
    {
        var pending = new ConcurrentQueue<int>(Enumerable.Range(0, run.Checkpoint.Sources.Count).Where(i => !run.Checkpoint.Sources[i].Done));
        var deadline = run.SendTime - SendTimeCheck.EditLockWindow;
        var lastCampaignCheck = new StrongBox<long>(time.GetUtcNow().Ticks);
        string? stopReason = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var claims = new GroupCommitClaims(
            (profiles, token) => InsertContactsAsync(run.Id, profiles.Select(p => (p.Id, p.Email)), RunContactState.Pending, token), stop.Token);

        async Task WorkerAsync()
        {
            while (!stop.IsCancellationRequested && pending.TryDequeue(out var index))
            {
                var source = run.Checkpoint.Sources[index];
                var group = new KlaviyoGroupRef(source.Kind == "list" ? KlaviyoGroupKind.List : KlaviyoGroupKind.Segment, source.GroupId);
                var window = source.JoinedFrom is null && source.JoinedBefore is null ? null : new JoinedWindow(source.JoinedFrom, source.JoinedBefore);
                var cursor = source.Cursor;
                do
                {
                    if (deadline is { } lockAt && time.GetUtcNow() >= lockAt)
                    {
                        stopReason = $"Stopped writing at {lockAt:u}, 15 minutes before the send time, when Klaviyo locks the campaign.";
                        await stop.CancelAsync();
                        return;
                    }
                    await CheckCampaignStillExistsAsync(run.CampaignKlaviyoId, lastCampaignCheck, stop.Token);

                    var page = await klaviyo.GetGroupProfilesPageAsync(group, cursor, window, stop.Token);
                    var fresh = await claims.ClaimAsync(page.Items, stop.Token);
                    var work = await PersonalizeAsync(personalizer, fresh, run.Originals, campaignName, stop.Token);
                    cursor = page.NextCursor;
                    await pages.WriteAsync(work with { SourceIndex = index, CursorAfter = cursor }, stop.Token);
                }
                while (cursor is not null);
            }
        }

        async Task GuardedWorkerAsync()
        {
            try
            {
                await WorkerAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One stream failing stops the others: the run fails (or is retried) as a whole.
                await stop.CancelAsync();
                throw;
            }
        }

        var workers = Enumerable.Range(0, Math.Max(1, _options.ReadConcurrency)).Select(_ => Task.Run(GuardedWorkerAsync, CancellationToken.None)).ToList();
        try
        {
            await Task.WhenAll(workers);
        }
        catch (Exception) when (workers.Any(w => w.IsFaulted))
        {
            var cause = workers.Where(w => w.IsFaulted).SelectMany(w => w.Exception!.InnerExceptions).FirstOrDefault(e => e is not OperationCanceledException)
                ?? workers.First(w => w.IsFaulted).Exception!.InnerException!;
            pages.TryComplete(cause);
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(cause).Throw();
        }
        catch (OperationCanceledException ex)
        {
            if (stopReason is null || cancellationToken.IsCancellationRequested)
            {
                pages.TryComplete(ex);
                throw;
            }
            // The send-time lock stopped the workers: what was read is still written.
        }
        pages.TryComplete();
        return new AudienceOutcome(stopReason is null, stopReason);
    }

    private async Task CheckCampaignStillExistsAsync(string campaignId, StrongBox<long> lastCheckTicks, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().Ticks;
        var last = Interlocked.Read(ref lastCheckTicks.Value);
        if (now - last < _options.CampaignCheckInterval.Ticks || Interlocked.CompareExchange(ref lastCheckTicks.Value, now, last) != last)
        {
            return;
        }
        // A campaign deleted in Klaviyo mid-run ends the run instead of writing for nobody.
        _ = await klaviyo.GetCampaignAsync(campaignId, cancellationToken) ?? throw new CampaignGoneException(campaignId);
    }

    /// <summary>
    /// Inserts the contacts not yet known to the run in one statement (upsert ... RETURNING); a contact already known
    /// keeps its state unless it is claimed Pending again after a restart left it Unconfirmed. Returns the ids claimed.
    /// </summary>
    private async Task<HashSet<string>> InsertContactsAsync(
        Guid runId, IEnumerable<(string Id, string? Email)> contacts, RunContactState state, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(contacts.Select(c => new ContactRow(c.Id, c.Email)), _jsonOptions);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        // Fenced: an instance that lost the run's lease must not claim contacts the new holder is about to read.
        await using var transaction = await leases.BeginFencedAsync(db, RunLease.NameFor(runId), cancellationToken);
        await using var command = connection.CreateCommand();
        command.Transaction = (SqliteTransaction?)transaction?.GetDbTransaction();
        // A contact already known keeps its state, except one left Unconfirmed by a restart, which is claimed again.
        // (WHERE true: SQLite needs it to tell the upsert's ON from a join's.)
        command.CommandText =
            "INSERT INTO RunContacts (RunId, ProfileId, Email, State) " +
            "SELECT $run, json_extract(value, '$.id'), json_extract(value, '$.email'), $state FROM json_each($contacts) WHERE true " +
            "ON CONFLICT (RunId, ProfileId) DO UPDATE SET State = excluded.State " +
            $"WHERE RunContacts.State = {(int)RunContactState.Unconfirmed} AND excluded.State = {(int)RunContactState.Pending} " +
            "RETURNING ProfileId";
        // Text, as EF Core stores Guid keys in SQLite.
        command.Parameters.Add(new SqliteParameter("$run", SqliteType.Text) { Value = runId });
        command.Parameters.AddWithValue("$state", (int)state);
        command.Parameters.AddWithValue("$contacts", json);
        var inserted = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                inserted.Add(reader.GetString(0));
            }
        }
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
        return inserted;
    }

    private sealed record ContactRow(string Id, string? Email);

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

    private static async Task<PageWork> PersonalizeAsync(
        IPersonalizer personalizer, List<KlaviyoProfile> profiles, List<MessageSnapshot> messages, string campaignName, CancellationToken cancellationToken)
    {
        var requests = new List<PersonalizationRequest>(profiles.Count * messages.Count);
        foreach (var profile in profiles)
        {
            foreach (var message in messages)
            {
                requests.Add(new PersonalizationRequest(profile, message.MessageId, campaignName, new MessageContent(message.Subject, message.PreviewText)));
            }
        }
        var results = await personalizer.PersonalizeBatchAsync(requests, cancellationToken);

        var patches = new List<ProfilePropertyPatch>(profiles.Count);
        var bytes = 0;
        var fellBack = 0;
        for (var p = 0; p < profiles.Count; p++)
        {
            var set = new Dictionary<string, string>(StringComparer.Ordinal);
            var unset = new List<string>();
            var anyFallback = false;
            for (var m = 0; m < messages.Count; m++)
            {
                var content = results[(p * messages.Count) + m];
                anyFallback |= content.IsFallback;
                PersonalizedMarkup.AddProperties(PersonalizedMarkup.MessageKey(messages[m].MessageId), content, set, unset);
            }
            if (anyFallback)
            {
                fellBack++;
            }
            var profile = profiles[p];
            patches.Add(new ProfilePropertyPatch(profile.Id, profile.Email, set, unset));
            bytes += EstimateBytes(profile, set, unset);
        }
        return new PageWork(patches, bytes, fellBack);
    }

    private static int EstimateBytes(KlaviyoProfile profile, Dictionary<string, string> set, List<string> unset)
    {
        // JSON overhead per profile plus escaped text; HTML escapes can grow text, hence the factor.
        var size = 160 + profile.Id.Length + (profile.Email?.Length ?? 0);
        foreach (var (key, value) in set)
        {
            size += key.Length + (value.Length * 2) + 8;
        }
        foreach (var key in unset)
        {
            size += key.Length + 4;
        }
        return size;
    }

    private async Task WriteBatchesAsync(PersonalizationRun run, ChannelReader<PageWork> pages, CancellationToken cancellationToken)
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
                if (!await ConfirmAsync(run.Id, done, await result, cancellationToken))
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
    private async Task<bool> ConfirmAsync(Guid runId, Batch batch, BatchResult result, CancellationToken cancellationToken)
    {
        async Task MarkContactsAsync(ReflyDbContext db, CancellationToken token)
        {
            await SetContactStatesAsync(db, runId, result.Written, RunContactState.Written, token);
            await SetContactStatesAsync(db, runId, result.Failed, RunContactState.Failed, token);
        }

        var updated = await store.UpdateAsync(runId, _inProgress, run =>
        {
            run.Written += result.Written.Count;
            run.Failed += result.Failed.Count;
            run.Processed += result.Written.Count + result.Failed.Count;
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

    private sealed record PageWork(List<ProfilePropertyPatch> Patches, int Bytes, int FellBack)
    {
        public int SourceIndex { get; init; }

        public string? CursorAfter { get; init; }
    }

    private sealed class Batch
    {
        public List<PageWork> Pages { get; } = [];

        public int Patches { get; private set; }

        public int Bytes { get; private set; }

        public void Add(PageWork page)
        {
            Pages.Add(page);
            Patches += page.Patches.Count;
            Bytes += page.Bytes;
        }
    }

    private sealed record BatchResult(List<string> Written, List<string> Failed);
}
