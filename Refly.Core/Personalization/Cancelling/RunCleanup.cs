using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Persistence;

namespace Refly.Core.Personalization;

/// <summary>
/// DESIGN.md step 6, for cancelled and failed runs: restore the original subject, preview text and template, remove
/// the run's properties from every contact it may have written, delete the personalized template clones. Each part
/// is recorded as it completes, so a crash during clean-up resumes where it stopped.
/// </summary>
public sealed class RunCleanup(
    IKlaviyoClient klaviyo,
    ContentSwitcher switcher,
    IDbContextFactory<ReflyDbContext> contextFactory,
    RunStore store,
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
        var remove = RemovePropertiesAsync(run, cancellationToken);
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
    /// Unsets the run's properties on every contact it may have written (confirmed or still pending), with up to
    /// <see cref="PersonalizationOptions.MaxImportJobsInFlight"/> import jobs at once; each chunk is marked Removed when
    /// its job completes, so an interrupted clean-up resumes with what is left.
    /// </summary>
    private async Task RemovePropertiesAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        var unset = run.Originals.Count > 0
            ? run.Originals.SelectMany(o => ContentSwitch.Properties(ContentSwitch.MessageKey(o.MessageId))).ToList()
            : run.MessageIds.SelectMany(id => ContentSwitch.Properties(ContentSwitch.MessageKey(id))).ToList();
        var chunk = options.Value.MaxProfilesPerImportJob;
        var inFlight = new List<Task>();
        string? after = null;
        while (true)
        {
            List<RunContact> contacts;
            await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
            {
                var query = db.RunContacts.AsNoTracking()
                    .Where(c => c.RunId == run.Id && (c.State == RunContactState.Pending || c.State == RunContactState.Unconfirmed || c.State == RunContactState.Written || c.State == RunContactState.Failed));
                if (after is not null)
                {
                    query = query.Where(c => string.Compare(c.ProfileId, after) > 0);
                }
                contacts = await query.OrderBy(c => c.ProfileId).Take(chunk).ToListAsync(cancellationToken);
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
            inFlight.Add(UnsetAsync(run.Id, contacts, unset, cancellationToken));
        }
        await Task.WhenAll(inFlight);
    }

    private async Task UnsetAsync(Guid runId, List<RunContact> contacts, List<string> unset, CancellationToken cancellationToken)
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
        await using var transaction = await leases.BeginFencedAsync(db, RunLease.NameFor(runId), cancellationToken);
        await db.RunContacts.Where(c => c.RunId == runId && ids.Contains(c.ProfileId))
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, RunContactState.Removed), cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }
}
