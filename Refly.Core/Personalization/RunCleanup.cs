using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
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
    TimeProvider time,
    IOptions<PersonalizationOptions> options,
    ILogger<RunCleanup> logger)
{
    private const int UnsetPageSize = 5_000;

    /// <summary>Cleans up the run; returns a marketer-facing note of what could not be undone, or null when everything was.</summary>
    public async Task<string?> CleanUpAsync(PersonalizationRun run, IReadOnlyCollection<RunState> states, CancellationToken cancellationToken)
    {
        string? note = null;
        if (run.ContentSwitched && !run.Checkpoint.ContentRestored)
        {
            note = await RestoreContentAsync(run, cancellationToken);
            await store.UpdateAsync(run.Id, states, r => r.Checkpoint.ContentRestored = true, cancellationToken);
        }

        await RemovePropertiesAsync(run, cancellationToken);
        if (note is null)
        {
            await switcher.DeletePersonalizedTemplatesAsync(run.Originals, cancellationToken);
        }
        return note;
    }

    private async Task<string?> RestoreContentAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        try
        {
            await switcher.RestoreAsync(run.CampaignKlaviyoId, run.Originals, cancellationToken);
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

    private async Task RemovePropertiesAsync(PersonalizationRun run, CancellationToken cancellationToken)
    {
        var unset = run.Originals.SelectMany(o => ContentSwitch.Properties(ContentSwitch.MessageKey(o.MessageId))).ToList();
        while (true)
        {
            List<RunContact> contacts;
            await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
            {
                contacts = await db.RunContacts.AsNoTracking()
                    .Where(c => c.RunId == run.Id && (c.State == RunContactState.Pending || c.State == RunContactState.Written || c.State == RunContactState.Failed))
                    .OrderBy(c => c.ProfileId)
                    .Take(Math.Min(UnsetPageSize, options.Value.MaxProfilesPerImportJob))
                    .ToListAsync(cancellationToken);
            }
            if (contacts.Count == 0)
            {
                return;
            }

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
            await using (var db = await contextFactory.CreateDbContextAsync(cancellationToken))
            {
                await db.RunContacts.Where(c => c.RunId == run.Id && ids.Contains(c.ProfileId))
                    .ExecuteUpdateAsync(s => s.SetProperty(c => c.State, RunContactState.Removed), cancellationToken);
            }
        }
    }
}
