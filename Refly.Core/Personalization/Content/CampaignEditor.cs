using Microsoft.Extensions.Logging;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// Edits a campaign's content the way Klaviyo allows it: a Draft directly; a Scheduled campaign by
/// reverting its send job to Draft, editing, scheduling it again with the same strategy and time, and checking it
/// is Scheduled again (retrying, then failing loudly). Nothing is touched within 15 minutes of the send time.
/// </summary>
public sealed class CampaignEditor(IKlaviyoClient klaviyo, TimeProvider time, ILogger<CampaignEditor> logger)
{
    private static readonly TimeSpan[] _rescheduleBackoff = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(10)];

    /// <summary>Runs <paramref name="edit"/> while the campaign is editable; returns the campaign as it was before.</summary>
    /// <param name="campaignId">The Klaviyo campaign id.</param>
    /// <param name="edit">The content changes.</param>
    /// <param name="revert">
    /// Where the caller persists that the campaign was reverted to Draft for this edit and is not scheduled again yet.
    /// A process killed in between leaves a Draft behind; the next edit with the record set schedules it again.
    /// </param>
    /// <param name="cancellationToken">Stops the edit; never the re-scheduling of a reverted campaign.</param>
    /// <exception cref="CampaignGoneException">Klaviyo no longer has the campaign.</exception>
    /// <exception cref="CampaignNotEditableException">Not Draft/Scheduled, or inside the 15-minute lock.</exception>
    /// <exception cref="CampaignRescheduleFailedException">The edit happened but the campaign could not be scheduled again.</exception>
    public async Task<KlaviyoCampaign> EditAsync(
        string campaignId, Func<KlaviyoCampaign, CancellationToken, Task> edit, RevertRecord revert, CancellationToken cancellationToken)
    {
        var campaign = await klaviyo.GetCampaignAsync(campaignId, cancellationToken) ?? throw new CampaignGoneException(campaignId);
        switch (campaign.Status)
        {
            case "Draft" when revert.Reverted:
                // This run reverted it earlier and the process stopped before scheduling it again: finish that now.
                logger.LogWarning("Campaign {CampaignId} is still a Draft after an interrupted edit; it is scheduled again after this one", campaignId);
                await EditThenRescheduleAsync(campaign, edit, revert, cancellationToken);
                return campaign;

            case "Draft":
                await edit(campaign, cancellationToken);
                return campaign;

            case "Scheduled":
                EnsureOutsideLock(campaign);
                // Recorded before the revert, so that no crash can leave a Draft nobody knows to schedule again.
                await revert.RecordAsync(true, cancellationToken);
                await klaviyo.RevertSendJobAsync(campaignId, cancellationToken);
                await EditThenRescheduleAsync(campaign, edit, revert, cancellationToken);
                return campaign;

            default:
                throw new CampaignNotEditableException(
                    $"Klaviyo only allows content changes to Draft or Scheduled campaigns; this campaign is '{campaign.Status}'.");
        }
    }

    private async Task EditThenRescheduleAsync(
        KlaviyoCampaign campaign, Func<KlaviyoCampaign, CancellationToken, Task> edit, RevertRecord revert, CancellationToken cancellationToken)
    {
        try
        {
            await edit(campaign, cancellationToken);
        }
        finally
        {
            // Whatever happened to the edit, the campaign must not stay a Draft: that would cancel the send.
            await RescheduleAsync(campaign, CancellationToken.None);
            await revert.RecordAsync(false, CancellationToken.None);
        }
    }

    /// <summary>Whether the campaign's send time leaves room for an edit (more than 15 minutes away, or none).</summary>
    public bool IsOutsideLock(DateTimeOffset? sendTime) =>
        sendTime is null || sendTime.Value - time.GetUtcNow() > SendTimeCheck.EditLockWindow;

    private void EnsureOutsideLock(KlaviyoCampaign campaign)
    {
        var sendTime = campaign.SendTime ?? campaign.SendStrategy.Datetime ?? campaign.ScheduledAt;
        if (!IsOutsideLock(sendTime))
        {
            throw new CampaignNotEditableException(
                $"The campaign sends at {sendTime:u}; Klaviyo locks content edits within 15 minutes of the send time.");
        }
    }

    private async Task RescheduleAsync(KlaviyoCampaign original, CancellationToken cancellationToken)
    {
        Exception? last = null;
        for (var attempt = 0; attempt <= _rescheduleBackoff.Length; attempt++)
        {
            try
            {
                await klaviyo.CreateSendJobAsync(original.Id, cancellationToken);
                var again = await klaviyo.GetCampaignAsync(original.Id, cancellationToken);
                if (again?.Status is "Scheduled" or "Preparing to schedule")
                {
                    return;
                }
                last = new InvalidOperationException($"Klaviyo reports the campaign as '{again?.Status ?? "deleted"}' after scheduling.");
            }
            catch (KlaviyoException ex)
            {
                last = ex;
            }

            logger.LogWarning(last, "Scheduling campaign {CampaignId} again failed (attempt {Attempt})", original.Id, attempt + 1);
            if (attempt < _rescheduleBackoff.Length)
            {
                await Task.Delay(_rescheduleBackoff[attempt], time, cancellationToken);
            }
        }

        // A campaign found reverted after a restart has no send time, only its send strategy's.
        var sendTime = original.SendTime ?? original.SendStrategy.Datetime;
        logger.LogCritical(last,
            "ALERT: campaign {CampaignId} ('{Name}') was reverted to Draft for a content change and could NOT be scheduled again for {SendTime}. Schedule it in Klaviyo now.",
            original.Id, original.Name, sendTime);
        throw new CampaignRescheduleFailedException(
            $"The campaign was reverted to Draft to change its content and could not be scheduled again for {sendTime:u}: schedule it in Klaviyo now. ({last?.Message})",
            last);
    }
}
