using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Observability;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>How the audience part of a run ended.</summary>
public sealed record AudienceOutcome(bool ReachedEnd, string? StopReason);

/// <summary>
/// DESIGN.md steps 2 to 4: streams the audience page by page (included lists/segments de-duplicated by profile id,
/// minus the excluded ones), personalizes every selected message for each contact (profiles are read once per run
/// whatever the number of messages), and writes the properties with profile bulk import jobs, pipelined behind the
/// reads. Progress and the audience cursor are checkpointed after every confirmed batch, in order, so a restart
/// resumes without skipping anyone; contacts of unconfirmed batches are simply written again (idempotent).
/// </summary>
public sealed class AudiencePipeline(
    IKlaviyoClient klaviyo,
    IDbContextFactory<ReflyDbContext> contextFactory,
    IPersonalizer personalizer,
    RunStore store,
    TimeProvider time,
    IOptions<PersonalizationOptions> options,
    ReflyMetrics metrics,
    ILogger<AudiencePipeline> logger)
{
    private static readonly RunState[] _inProgress = [RunState.InProgress];
    private readonly PersonalizationOptions _options = options.Value;

    public async Task<AudienceOutcome> RunAsync(PersonalizationRun run, string campaignName, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        run = await PrepareResumeAsync(run, cancellationToken) ?? throw new OperationCanceledException("The run left InProgress.");
        run = await LoadExclusionsAsync(run, audiences, cancellationToken) ?? throw new OperationCanceledException("The run left InProgress.");
        run = await InitSourcesAsync(run, audiences, cancellationToken) ?? throw new OperationCanceledException("The run left InProgress.");

        var pages = Channel.CreateBounded<PageWork>(new BoundedChannelOptions(64) { SingleReader = false, SingleWriter = true });
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = ReadAudienceAsync(run, campaignName, pages.Writer, readerStop.Token);
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
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.RunContacts.Where(c => c.RunId == run.Id && c.State == RunContactState.Pending).ExecuteDeleteAsync(cancellationToken);
        var written = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.Written, cancellationToken);
        var failed = await db.RunContacts.LongCountAsync(c => c.RunId == run.Id && c.State == RunContactState.Failed, cancellationToken);
        return await store.UpdateAsync(run.Id, _inProgress, r =>
        {
            r.Written = written;
            r.Failed = failed;
            r.Processed = written + failed;
        }, cancellationToken);
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
                var page = await klaviyo.GetGroupProfilesPageAsync(group, cursor, null, cancellationToken);
                await InsertContactsAsync(run.Id, page.Items.Select(p => (p.Id, p.Email)), RunContactState.Excluded, cancellationToken);
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }
        return await store.UpdateAsync(run.Id, _inProgress, r => r.Checkpoint.ExclusionsLoaded = true, cancellationToken);
    }

    private async Task<PersonalizationRun?> InitSourcesAsync(PersonalizationRun run, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        if (run.Checkpoint.Sources.Count > 0)
        {
            return run;
        }
        var sources = new List<SourceCheckpoint>();
        foreach (var groupId in audiences.Included.Distinct(StringComparer.Ordinal))
        {
            var group = await ResolveGroupAsync(groupId, cancellationToken);
            if (group is null)
            {
                await store.AddEventAsync(run.Id, "Warning", $"Included list or segment {groupId} no longer exists in Klaviyo; skipped.", cancellationToken);
                continue;
            }
            sources.Add(new SourceCheckpoint { GroupId = group.Id, Kind = group.Kind == KlaviyoGroupKind.List ? "list" : "segment" });
        }
        return await store.UpdateAsync(run.Id, _inProgress, r => r.Checkpoint.Sources = sources, cancellationToken);
    }

    /// <summary>Campaign audiences hold list and segment ids alike: ask Klaviyo which one it is.</summary>
    private async Task<KlaviyoGroupRef?> ResolveGroupAsync(string groupId, CancellationToken cancellationToken)
    {
        var list = await klaviyo.GetGroupAsync(new KlaviyoGroupRef(KlaviyoGroupKind.List, groupId), cancellationToken);
        if (list is not null)
        {
            return list.Ref;
        }
        var segment = await klaviyo.GetGroupAsync(new KlaviyoGroupRef(KlaviyoGroupKind.Segment, groupId), cancellationToken);
        return segment?.Ref;
    }

    private async Task<AudienceOutcome> ReadAudienceAsync(
        PersonalizationRun run, string campaignName, ChannelWriter<PageWork> pages, CancellationToken cancellationToken)
    {
        var messages = run.Originals;
        var deadline = run.SendTime - SendTimeCheck.EditLockWindow;
        var lastCampaignCheck = time.GetUtcNow();
        try
        {
            for (var index = 0; index < run.Checkpoint.Sources.Count; index++)
            {
                var source = run.Checkpoint.Sources[index];
                if (source.Done)
                {
                    continue;
                }
                var group = new KlaviyoGroupRef(source.Kind == "list" ? KlaviyoGroupKind.List : KlaviyoGroupKind.Segment, source.GroupId);
                var cursor = source.Cursor;
                do
                {
                    if (deadline is { } lockAt && time.GetUtcNow() >= lockAt)
                    {
                        pages.TryComplete();
                        return new AudienceOutcome(false, $"Stopped writing at {lockAt:u}, 15 minutes before the send time, when Klaviyo locks the campaign.");
                    }

                    if (time.GetUtcNow() - lastCampaignCheck >= _options.CampaignCheckInterval)
                    {
                        // A campaign deleted in Klaviyo mid-run ends the run instead of writing for nobody.
                        _ = await klaviyo.GetCampaignAsync(run.CampaignKlaviyoId, cancellationToken) ?? throw new CampaignGoneException(run.CampaignKlaviyoId);
                        lastCampaignCheck = time.GetUtcNow();
                    }

                    var page = await klaviyo.GetGroupProfilesPageAsync(group, cursor, null, cancellationToken);
                    var fresh = await ClaimNewContactsAsync(run.Id, page.Items, cancellationToken);
                    var work = await PersonalizeAsync(fresh, messages, campaignName, cancellationToken);
                    cursor = page.NextCursor;
                    await pages.WriteAsync(work with { SourceIndex = index, CursorAfter = cursor }, cancellationToken);
                }
                while (cursor is not null);
            }
            pages.TryComplete();
            return new AudienceOutcome(true, null);
        }
        catch (Exception ex)
        {
            pages.TryComplete(ex);
            throw;
        }
    }

    /// <summary>Records the page's contacts as Pending and returns those this run has not seen (nor excluded) yet.</summary>
    private async Task<List<KlaviyoProfile>> ClaimNewContactsAsync(Guid runId, IReadOnlyList<KlaviyoProfile> profiles, CancellationToken cancellationToken)
    {
        if (profiles.Count == 0)
        {
            return [];
        }
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var ids = profiles.Select(p => p.Id).ToList();
        var known = await db.RunContacts
            .Where(c => c.RunId == runId && ids.Contains(c.ProfileId))
            .Select(c => c.ProfileId)
            .ToListAsync(cancellationToken);
        var seen = new HashSet<string>(known, StringComparer.Ordinal);
        var fresh = new List<KlaviyoProfile>(profiles.Count);
        foreach (var profile in profiles)
        {
            if (seen.Add(profile.Id))
            {
                fresh.Add(profile);
            }
        }
        await InsertContactsAsync(runId, fresh.Select(p => (p.Id, p.Email)), RunContactState.Pending, cancellationToken);
        return fresh;
    }

    private async Task InsertContactsAsync(Guid runId, IEnumerable<(string Id, string? Email)> contacts, RunContactState state, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var (id, email) in contacts)
        {
            // INSERT OR IGNORE: a contact already known (excluded, or from an earlier list) keeps its state.
            await db.Database.ExecuteSqlAsync(
                $"INSERT OR IGNORE INTO RunContacts (RunId, ProfileId, Email, State) VALUES ({runId}, {id}, {email}, {(int)state})",
                cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private async Task<PageWork> PersonalizeAsync(
        List<KlaviyoProfile> profiles, List<MessageSnapshot> messages, string campaignName, CancellationToken cancellationToken)
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
                ContentSwitch.AddProperties(ContentSwitch.MessageKey(messages[m].MessageId), content, set, unset);
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
        var batch = new Batch();
        var batchStarted = time.GetUtcNow();

        async Task SubmitAsync()
        {
            if (batch.Pages.Count == 0)
            {
                return;
            }
            await slots.WaitAsync(cancellationToken);
            var submitted = batch;
            inFlight.Enqueue((submitted, ImportAsync(submitted, slots, cancellationToken)));
            batch = new Batch();
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
                    await SubmitAsync();
                }
            }
            if (!await more)
            {
                break;
            }

            while (pages.TryRead(out var page))
            {
                if (batch.Patches > 0 &&
                    (batch.Patches + page.Patches.Count > _options.MaxProfilesPerImportJob || batch.Bytes + page.Bytes > _options.MaxImportJobBytes))
                {
                    await SubmitAsync();
                }
                if (batch.Pages.Count == 0)
                {
                    batchStarted = time.GetUtcNow();
                }
                batch.Add(page);
            }
            if (batch.Patches >= _options.MaxProfilesPerImportJob || time.GetUtcNow() - batchStarted >= _options.BatchFlushInterval)
            {
                await SubmitAsync();
            }
            if (!await ConfirmCompletedAsync(waitForAll: false))
            {
                return;
            }
        }

        await pages.Completion; // surfaces a reader failure
        await SubmitAsync();
        await ConfirmCompletedAsync(waitForAll: true);
    }

    private async Task<BatchResult> ImportAsync(Batch batch, SemaphoreSlim slots, CancellationToken cancellationToken)
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
                var job = await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken);
                while (!job.IsFinished)
                {
                    await Task.Delay(_options.ImportPollInterval, time, cancellationToken);
                    job = await klaviyo.GetProfileImportJobAsync(jobId, cancellationToken);
                }

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

    /// <summary>Marks the batch's contacts, moves the checkpoint past its pages and saves the counts, in one step per batch.</summary>
    private async Task<bool> ConfirmAsync(Guid runId, Batch batch, BatchResult result, CancellationToken cancellationToken)
    {
        await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
        {
            if (result.Written.Count > 0)
            {
                var written = result.Written;
                await db.RunContacts.Where(c => c.RunId == runId && written.Contains(c.ProfileId))
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, RunContactState.Written), cancellationToken);
            }
            if (result.Failed.Count > 0)
            {
                var failed = result.Failed;
                await db.RunContacts.Where(c => c.RunId == runId && failed.Contains(c.ProfileId))
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, RunContactState.Failed), cancellationToken);
            }
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
        }, cancellationToken);
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
