using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// The clean-up of cancelled and failed runs (docs/ARCHITECTURE.md, "Where does cancel happen?"): restore the original subject, preview text and template, remove
/// the run's properties from every contact it may have written (once no import job can write them again) and the
/// earlier runs' properties that the restored messages no longer reference, delete the personalized template clones.
/// Each part is recorded as it completes, so a crash during clean-up resumes where it stopped.
/// </summary>
public sealed class RunCleanup(
    IKlaviyoClient klaviyo,
    ContentSwitcher switcher,
    IDbContextFactory<ReflyDbContext> contextFactory,
    RunStore store,
    RunImportJobLedger ledger,
    LeaseManager leases,
    TimeProvider time,
    IOptions<PersonalizationOptions> options,
    ILogger<RunCleanup> logger)
{
    /// <summary>Cleans up the run; returns a marketer-facing note of what could not be undone, or null when everything was.</summary>
    public async Task<string?> CleanUpAsync(PersonalizationRun run, IReadOnlyCollection<RunState> states, CancellationToken cancellationToken)
    {
        // Restoring the messages and removing the properties are independent: do both at once.
        var restore = (run.ContentSwitched || run.Checkpoint.SwitchStarted) && !run.Checkpoint.ContentRestored
            ? RestoreAndRecordAsync(run, states, cancellationToken)
            : Task.FromResult<string?>(null);
        var remove = RemovePropertiesAsync(run, states, cancellationToken);
        await Task.WhenAll(restore, remove);
        var note = await restore;
        if (note is null)
        {
            await switcher.DeletePersonalizedTemplatesAsync(run.Originals, cancellationToken);
        }
        return note;
    }

    private async Task<string?> RestoreAndRecordAsync(PersonalizationRun run, IReadOnlyCollection<RunState> states, CancellationToken cancellationToken)
    {
        var note = await RestoreContentAsync(run, cancellationToken);
        await store.UpdateAsync(run.Id, states, r => r.Checkpoint.ContentRestored = true, cancellationToken);
        return note;
    }

    private async Task<string?> RestoreContentAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        try
        {
            await switcher.RestoreAsync(run.CampaignKlaviyoId, run.Originals, store.RevertRecordFor(run), cancellationToken);
            return null;
        }
        catch (CampaignGoneException)
        {
            return "The campaign no longer exists in Klaviyo, so there was no content to restore.";
        }
        catch (CampaignNotEditableException ex)
        {
            // Inside the send-time lock (or already sending) Klaviyo refuses edits. The messages still fall back to the
            // original content for every contact without the run's properties, and those are removed next.
            logger.LogWarning("Run {RunId}: content could not be restored: {Reason}", run.Id, ex.Message);
            return $"The original subject, preview and template could not be put back ({ex.Message}). The run's properties were removed, so every contact receives the original content through the defaults.";
        }
    }

    /// <summary>
    /// Klaviyo's clock may run ahead of ours: import jobs listed as created up to this long before the run started are
    /// waited for too (waiting for a job that is not the run's costs only its remaining seconds).
    /// </summary>
    internal static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(2);

    private static readonly RunContactState[] _mayCarryProperties =
        [RunContactState.Pending, RunContactState.Unconfirmed, RunContactState.Written, RunContactState.Failed];

    /// <summary>
    /// Unsets the run's properties on every contact it may have written (confirmed or still pending), once every import
    /// job that may still write them has ended; then, when the run restores the originals, the restored messages'
    /// properties written by the campaign's earlier runs, which no message references any more.
    /// </summary>
    private async Task RemovePropertiesAsync(PersonalizationRun run, IReadOnlyCollection<RunState> states, CancellationToken cancellationToken)
    {
        await WaitForImportJobsAsync(run, cancellationToken);

        var unset = run.Originals.Count > 0
            ? run.Originals.SelectMany(o => PersonalizedMarkup.Properties(PersonalizedMarkup.MessageKey(o.MessageId))).ToList()
            : run.MessageIds.SelectMany(id => PersonalizedMarkup.Properties(PersonalizedMarkup.MessageKey(id))).ToList();
        var chunk = options.Value.MaxProfilesPerImportJob;
        await UnsetInChunksAsync(
            run.Id,
            async (db, after, token) =>
            {
                var query = db.RunContacts.AsNoTracking().Where(c => c.RunId == run.Id && _mayCarryProperties.Contains(c.State));
                if (after is not null)
                {
                    query = query.Where(c => string.Compare(c.ProfileId, after) > 0);
                }
                return await query.OrderBy(c => c.ProfileId).Take(chunk).Select(c => new Contact(c.ProfileId, c.Email)).ToListAsync(token);
            },
            unset,
            (db, ids, token) => db.RunContacts.Where(c => c.RunId == run.Id && ids.Contains(c.ProfileId))
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.State, RunContactState.Removed), token),
            cancellationToken);

        if ((run.ContentSwitched || run.Checkpoint.SwitchStarted) && run.Originals.Count > 0 && !run.Checkpoint.EarlierPropertiesRemoved)
        {
            await RemoveEarlierRunsPropertiesAsync(run, states, cancellationToken);
        }
    }

    /// <summary>
    /// Waits until every set-job the run submitted (recorded in <see cref="RunImportJob"/>s, before a restart too) and
    /// every import job Klaviyo still runs that was created since the run started (one whose submit answer was lost is
    /// known only to Klaviyo) has ended: a job still processing would write the properties again after the unset.
    /// Klaviyo is listed once more after the wait, for a job that a request stopped by the cancel created meanwhile.
    /// </summary>
    private async Task WaitForImportJobsAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        var recorded = (await ledger.UnfinishedAsync(run.Id, cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var since = (run.StartedAt ?? run.CreatedAt) - ClockSkewMargin;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var candidates = new List<string>(recorded);
        var announced = false;
        for (var listing = 0; listing < 2; listing++)
        {
            await foreach (var job in klaviyo.GetUnfinishedProfileImportJobsAsync(since, cancellationToken))
            {
                candidates.Add(job.Id);
            }
            var running = new List<string>();
            foreach (var jobId in candidates.Where(seen.Add).ToList())
            {
                if (await StateOfAsync(jobId, cancellationToken) is { } state)
                {
                    await RecordIfOwnAsync(jobId, state);
                }
                else
                {
                    running.Add(jobId);
                }
            }
            candidates.Clear();
            if (running.Count == 0)
            {
                continue;
            }
            if (!announced)
            {
                announced = true;
                logger.LogInformation("Run {RunId}: waiting for {Count} import jobs to end before removing its properties", run.Id, running.Count);
                await store.AddEventAsync(run.Id, "Waiting",
                    $"Waiting for {running.Count} import job{(running.Count == 1 ? "" : "s")} still running in Klaviyo to end before removing the run's properties",
                    cancellationToken);
            }
            // In rounds: one poll interval, then every job still running is asked again (not one interval per job).
            while (running.Count > 0)
            {
                await Task.Delay(options.Value.ImportPollInterval, time, cancellationToken);
                var stillRunning = new List<string>(running.Count);
                foreach (var jobId in running)
                {
                    if (await StateOfAsync(jobId, cancellationToken) is { } state)
                    {
                        await RecordIfOwnAsync(jobId, state);
                    }
                    else
                    {
                        stillRunning.Add(jobId);
                    }
                }
                running = stillRunning;
            }
        }

        async Task RecordIfOwnAsync(string jobId, RunImportJobState state)
        {
            if (recorded.Contains(jobId))
            {
                await ledger.RecordFinishedAsync(jobId, state, cancellationToken);
            }
        }
    }

    /// <summary>The job's terminal state, or null while it may still write.</summary>
    private async Task<RunImportJobState?> StateOfAsync(string jobId, CancellationToken cancellationToken)
    {
        try
        {
            return RunImportJobLedger.TerminalStateOf((await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken)).Status);
        }
        catch (KlaviyoNotFoundException)
        {
            return RunImportJobState.Expired;
        }
    }

    /// <summary>
    /// A held-out contact must see the original content, but a campaign's earlier run of the same messages may have
    /// written their properties on it (this run writes nothing for it, so nothing overwrites them): unsets this run's
    /// messages' properties on those held-out contacts. Idempotent (a resume simply unsets again). Returns how many.
    /// </summary>
    public async Task<long> ClearHeldOutAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        if (run.HoldoutShare <= 0)
        {
            return 0;
        }
        var messages = run.MessageIds.ToHashSet(StringComparer.Ordinal);
        List<Guid> earlierIds;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            earlierIds = (await db.Runs.AsNoTracking()
                    .Where(r => r.CampaignId == run.CampaignId && r.Id != run.Id && r.CreatedAt <= run.CreatedAt)
                    .Select(r => new { r.Id, r.MessageIds })
                    .ToListAsync(cancellationToken))
                .Where(r => r.MessageIds.Any(messages.Contains))
                .Select(r => r.Id)
                .ToList();
        }
        if (earlierIds.Count == 0)
        {
            return 0;
        }
        var unset = run.MessageIds.SelectMany(id => PersonalizedMarkup.Properties(PersonalizedMarkup.MessageKey(id))).ToList();
        var chunk = options.Value.MaxProfilesPerImportJob;
        var cleared = 0L;
        await UnsetInChunksAsync(
            run.Id,
            async (db, after, token) =>
            {
                var query = db.RunContacts.AsNoTracking().Where(c =>
                    c.RunId == run.Id && c.State == RunContactState.HeldOut &&
                    db.RunContacts.Any(e => earlierIds.Contains(e.RunId) && e.ProfileId == c.ProfileId && _mayCarryProperties.Contains(e.State)));
                if (after is not null)
                {
                    query = query.Where(c => string.Compare(c.ProfileId, after) > 0);
                }
                var page = await query.OrderBy(c => c.ProfileId).Take(chunk).Select(c => new Contact(c.ProfileId, c.Email)).ToListAsync(token);
                cleared += page.Count;
                return page;
            },
            unset,
            // The contacts stay HeldOut (this run never wrote them); the earlier runs' rows keep their state for their own clean-up.
            (_, _, _) => Task.CompletedTask,
            cancellationToken);
        return cleared;
    }

    /// <summary>
    /// Once this run restores the originals, the restored messages no longer reference the properties that the
    /// campaign's earlier (completed) runs wrote for them: unsets those on every contact of those runs that this run's own
    /// removal did not cover. An earlier run all of whose messages are restored has its contacts marked Removed.
    /// </summary>
    private async Task RemoveEarlierRunsPropertiesAsync(PersonalizationRun run, IReadOnlyCollection<RunState> states, CancellationToken cancellationToken)
    {
        var restored = run.Originals.Select(o => o.MessageId).ToHashSet(StringComparer.Ordinal);
        List<Guid> earlierIds;
        List<Guid> fullyRestored;
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            var earlier = (await db.Runs.AsNoTracking()
                    .Where(r => r.CampaignId == run.CampaignId && r.Id != run.Id && r.CreatedAt <= run.CreatedAt)
                    .Select(r => new { r.Id, r.MessageIds })
                    .ToListAsync(cancellationToken))
                .Where(r => r.MessageIds.Any(restored.Contains))
                .ToList();
            earlierIds = earlier.Select(r => r.Id).ToList();
            fullyRestored = earlier.Where(r => r.MessageIds.All(restored.Contains)).Select(r => r.Id).ToList();
        }

        var removed = 0L;
        if (earlierIds.Count > 0)
        {
            var unset = restored.SelectMany(id => PersonalizedMarkup.Properties(PersonalizedMarkup.MessageKey(id))).ToList();
            var chunk = options.Value.MaxProfilesPerImportJob;
            await UnsetInChunksAsync(
                run.Id,
                async (db, after, token) =>
                {
                    var query = db.RunContacts.AsNoTracking().Where(e =>
                        earlierIds.Contains(e.RunId) && _mayCarryProperties.Contains(e.State) &&
                        // This run's own removal already unset these properties on its contacts.
                        // (Held-out contacts were not: they never were this run's to write.)
                        !db.RunContacts.Any(c => c.RunId == run.Id && c.ProfileId == e.ProfileId && c.State != RunContactState.Excluded && c.State != RunContactState.HeldOut));
                    if (after is not null)
                    {
                        query = query.Where(e => string.Compare(e.ProfileId, after) > 0);
                    }
                    var page = (await query.GroupBy(e => e.ProfileId)
                            .Select(g => new { ProfileId = g.Key, Email = g.Max(e => e.Email) })
                            .OrderBy(c => c.ProfileId)
                            .Take(chunk)
                            .ToListAsync(token))
                        .Select(c => new Contact(c.ProfileId, c.Email))
                        .ToList();
                    removed += page.Count;
                    return page;
                },
                unset,
                (db, ids, token) => db.RunContacts
                    .Where(c => fullyRestored.Contains(c.RunId) && ids.Contains(c.ProfileId) && _mayCarryProperties.Contains(c.State))
                    .ExecuteUpdateAsync(u => u.SetProperty(c => c.State, RunContactState.Removed), token),
                cancellationToken);
            // Their contacts inside this run's audience were covered by this run's own removal.
            await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
            await db.RunContacts
                .Where(c => fullyRestored.Contains(c.RunId) && _mayCarryProperties.Contains(c.State) &&
                            db.RunContacts.Any(o => o.RunId == run.Id && o.ProfileId == c.ProfileId && o.State == RunContactState.Removed))
                .ExecuteUpdateAsync(u => u.SetProperty(c => c.State, RunContactState.Removed), cancellationToken);
        }

        await store.UpdateAsync(run.Id, states, r => r.Checkpoint.EarlierPropertiesRemoved = true, cancellationToken);
        if (removed > 0)
        {
            await store.AddEventAsync(run.Id, "CleanedUp",
                $"Removed the properties of {removed:N0} contact{(removed == 1 ? "" : "s")} written by earlier runs, which no message uses once the originals are back",
                cancellationToken);
        }
    }

    private sealed record Contact(string ProfileId, string? Email);

    /// <summary>
    /// Reads contacts chunk by chunk (ordered by profile id, each chunk after the last one) and unsets
    /// <paramref name="unset"/> on them with up to <see cref="PersonalizationOptions.MaxImportJobsInFlight"/> import jobs at
    /// once; each chunk is marked when its job completes, so an interrupted clean-up resumes with what is left.
    /// </summary>
    private async Task UnsetInChunksAsync(
        Guid runId,
        Func<ReflyDbContext, string?, CancellationToken, Task<List<Contact>>> nextChunk,
        List<string> unset,
        Func<ReflyDbContext, List<string>, CancellationToken, Task> markRemoved,
        CancellationToken cancellationToken)
    {
        var inFlight = new List<Task>();
        string? after = null;
        while (true)
        {
            List<Contact> contacts;
            await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
            {
                contacts = await nextChunk(db, after, cancellationToken);
            }
            if (contacts.Count == 0)
            {
                break;
            }
            after = contacts[^1].ProfileId;
            if (inFlight.Count >= options.Value.MaxImportJobsInFlight)
            {
                var finished = await Task.WhenAny(inFlight);
                inFlight.Remove(finished);
                await finished;
            }
            inFlight.Add(UnsetAsync(runId, contacts, unset, markRemoved, cancellationToken));
        }
        await Task.WhenAll(inFlight);
    }

    private async Task UnsetAsync(
        Guid runId, List<Contact> contacts, List<string> unset, Func<ReflyDbContext, List<string>, CancellationToken, Task> markRemoved, CancellationToken cancellationToken)
    {
        var patches = contacts.Select(c => new ProfilePropertyPatch(c.ProfileId, c.Email, new Dictionary<string, string>(), unset)).ToList();
        var jobId = await klaviyo.CreateProfileImportJobAsync(patches, cancellationToken);
        var job = await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken);
        while (!job.IsFinished)
        {
            await Task.Delay(options.Value.ImportPollInterval, time, cancellationToken);
            job = await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken);
        }
        if (job.Status != "complete")
        {
            throw new InvalidOperationException($"Klaviyo ended the import job that removes the run's properties as '{job.Status}'.");
        }

        var ids = contacts.Select(c => c.ProfileId).ToList();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        // Fenced by the cleaning run's lease: a process that lost it never records a removal.
        await using var transaction = await leases.BeginFencedAsync(db, RunLease.NameFor(runId), cancellationToken);
        await markRemoved(db, ids, cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }
}
