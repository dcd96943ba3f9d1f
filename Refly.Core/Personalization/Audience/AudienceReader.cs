using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore.Storage;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Observability;
using Refly.Core.Persistence;
namespace Refly.Core.Personalization;

/// <summary>
/// The reader half of a run's audience work (docs/ARCHITECTURE.md, "A run's life"): prepares a resume (counts from what is
/// confirmed, unconfirmed contacts claimed again), loads the excluded contacts, plans the audience streams, then streams
/// the audience page by page (included lists/segments de-duplicated by profile id, minus the excluded ones), personalizes
/// every selected message for each contact (profiles are read once per run whatever the number of messages) and hands
/// each personalized page to <see cref="AudienceImportWriter"/>.
/// </summary>
public sealed class AudienceReader(
    IKlaviyoClient klaviyo,
    GroupDirectory groups,
    IDbContextFactory<ReflyDbContext> contextFactory,
    RunStore store,
    LeaseManager leases,
    TimeProvider time,
    IOptions<PersonalizationOptions> options)
{
    private static readonly RunState[] _inProgress = [RunState.InProgress];
    private static readonly JsonSerializerOptions _jsonOptions = new(JsonSerializerDefaults.Web);
    private readonly PersonalizationOptions _options = options.Value;

    /// <summary>
    /// Everything before the first page: the resume's counts, the excluded contacts and the planned streams, each
    /// checkpointed. Stops (<see cref="OperationCanceledException"/>) when the run left InProgress meanwhile.
    /// </summary>
    public async Task<PersonalizationRun> PrepareAsync(PersonalizationRun run, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        run = await PrepareResumeAsync(run, cancellationToken).OrStopWhenNotInProgress();
        run = await LoadExclusionsAsync(run, audiences, cancellationToken).OrStopWhenNotInProgress();
        return await InitSourcesAsync(run, audiences, cancellationToken).OrStopWhenNotInProgress();
    }

    /// <summary>Contacts of batches never confirmed are forgotten (they will be read and written again); counts come from what is confirmed.</summary>
    private async Task<PersonalizationRun?> PrepareResumeAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        await ForgetUnconfirmedAsync(run.Id, cancellationToken);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var written = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.Written, cancellationToken);
        var failed = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.Failed, cancellationToken);
        // Held-out contacts are final when claimed (nothing to write): a resume keeps them and does not claim them again.
        var heldOut = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.HeldOut, cancellationToken);
        return await store.UpdateAsync(run.Id, _inProgress, r =>
        {
            r.Written = written;
            r.Failed = failed;
            r.HeldOut = heldOut;
            r.Processed = written + failed + heldOut;
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
                await InsertContactsAsync(run.Id, page.Items.Select(p => (p.Id, p.Email, RunContactState.Excluded)), cancellationToken);
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
    public async Task<AudienceOutcome> ReadAsync(
        PersonalizationRun run, string campaignName, IPersonalizer personalizer, ChannelWriter<PersonalizedPage> pages, CancellationToken cancellationToken)
    {
        var pending = new ConcurrentQueue<int>(Enumerable.Range(0, run.Checkpoint.Sources.Count).Where(i => !run.Checkpoint.Sources[i].Done));
        var deadline = run.SendTime - SendTimeCheck.EditLockWindow;
        var lastCampaignCheck = new StrongBox<long>(time.GetUtcNow().Ticks);
        string? stopReason = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await using var claims = new GroupCommitClaims(
            (profiles, token) => InsertContactsAsync(run.Id, profiles.Select(p => (p.Id, p.Email, ClaimStateOf(run, p.Id))), token), stop.Token);

        async Task WorkerAsync()
        {
            while (!stop.IsCancellationRequested && pending.TryDequeue(out var index))
            {
                var source = run.Checkpoint.Sources[index];
                var group = new KlaviyoGroupRef(source.Kind == "list" ? KlaviyoGroupKind.List : KlaviyoGroupKind.Segment, source.GroupId);
                var window = source.JoinedFrom is null && source.JoinedBefore is null ? null : new JoinedWindow(source.JoinedFrom, source.JoinedBefore);
                var cursor = source.Cursor;
                // Pages being personalized, oldest first: the stream reads on while the personalizer works, and hands
                // pages to the writer in their order (the checkpoint's cursor relies on it).
                var ahead = new Queue<Task<PersonalizedPage>>();
                do
                {
                    if (deadline is { } lockAt && time.GetUtcNow() >= lockAt)
                    {
                        // The pages already claimed and personalized still go out: their contacts were counted in.
                        while (ahead.Count > 0)
                        {
                            await pages.WriteAsync(await ahead.Dequeue(), stop.Token);
                        }
                        stopReason = $"Stopped writing at {lockAt:u}, 15 minutes before the send time, when Klaviyo locks the campaign.";
                        await stop.CancelAsync();
                        return;
                    }
                    await CheckCampaignStillExistsAsync(run.CampaignKlaviyoId, lastCampaignCheck, stop.Token);

                    var page = await klaviyo.GetGroupProfilesPageAsync(group, cursor, window, stop.Token);
                    var claimed = await claims.ClaimAsync(page.Items, stop.Token);
                    // Held-out contacts were claimed HeldOut: they are counted with the page and never personalized or written.
                    var fresh = run.HoldoutShare > 0 ? claimed.Where(p => ClaimStateOf(run, p.Id) == RunContactState.Pending).ToList() : claimed;
                    var heldOut = claimed.Count - fresh.Count;
                    var cursorAfter = page.NextCursor;
                    ahead.Enqueue(PersonalizeInOrderAsync(fresh, heldOut, cursorAfter));
                    cursor = cursorAfter;
                    // Hand on every page that is ready (a rule-based page at once), and wait for the oldest when the
                    // stream is as far ahead as allowed or at its end.
                    while (ahead.Count > 0 && (ahead.Peek().IsCompleted || ahead.Count >= Math.Max(1, _options.PagesAheadPerStream) || cursor is null))
                    {
                        await pages.WriteAsync(await ahead.Dequeue(), stop.Token);
                    }
                }
                while (cursor is not null);

                async Task<PersonalizedPage> PersonalizeInOrderAsync(List<KlaviyoProfile> fresh, int heldOut, string? cursorAfter)
                {
                    var work = fresh.Count == 0
                        ? new PersonalizedPage([], 0, 0)
                        : await PersonalizeAsync(personalizer, fresh, run.Originals, campaignName, run.Brief ?? CampaignBrief.Default, stop.Token);
                    return work with { SourceIndex = index, CursorAfter = cursorAfter, HeldOut = heldOut };
                }
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

    /// <summary>How an audience contact is claimed: HeldOut when the run's holdout picks it (deterministic), else Pending.</summary>
    private static RunContactState ClaimStateOf(PersonalizationRun run, string profileId) =>
        HoldoutSelector.IsHeldOut(run.Id, profileId, run.HoldoutShare) ? RunContactState.HeldOut : RunContactState.Pending;

    /// <summary>
    /// Inserts the contacts not yet known to the run in one statement (upsert ... RETURNING); a contact already known
    /// keeps its state unless it is claimed Pending again after a restart left it Unconfirmed. Returns the ids claimed.
    /// </summary>
    private async Task<HashSet<string>> InsertContactsAsync(
        Guid runId, IEnumerable<(string Id, string? Email, RunContactState State)> contacts, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(contacts.Select(c => new ContactRow(c.Id, c.Email, (int)c.State)), _jsonOptions);
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
            "SELECT $run, json_extract(value, '$.id'), json_extract(value, '$.email'), json_extract(value, '$.state') FROM json_each($contacts) WHERE true " +
            "ON CONFLICT (RunId, ProfileId) DO UPDATE SET State = excluded.State " +
            $"WHERE RunContacts.State = {(int)RunContactState.Unconfirmed} AND excluded.State = {(int)RunContactState.Pending} " +
            "RETURNING ProfileId";
        // Text, as EF Core stores Guid keys in SQLite.
        command.Parameters.Add(new SqliteParameter("$run", SqliteType.Text) { Value = runId });
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

    private sealed record ContactRow(string Id, string? Email, int State);

    private static async Task<PersonalizedPage> PersonalizeAsync(
        IPersonalizer personalizer, List<KlaviyoProfile> profiles, List<MessageSnapshot> messages, string campaignName, CampaignBrief brief,
        CancellationToken cancellationToken)
    {
        var briefHash = brief.Hash();
        var requests = new List<PersonalizationRequest>(profiles.Count * messages.Count);
        foreach (var profile in profiles)
        {
            foreach (var message in messages)
            {
                requests.Add(new PersonalizationRequest(profile, message.MessageId, campaignName, new MessageContent(message.Subject, message.PreviewText))
                {
                    Brief = brief,
                    BriefHash = briefHash,
                });
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
        return new PersonalizedPage(patches, bytes, fellBack) { Sources = PageSourceCounts.Of(results) };
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
}
