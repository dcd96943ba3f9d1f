using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Persistence;
using Refly.Core.Personalization;

namespace Refly.Core.Triggers;

/// <summary>What one poll decided for one campaign.</summary>
/// <param name="CampaignId">Klaviyo campaign id.</param>
/// <param name="Decision">Start, skip (with the reason) or re-arm.</param>
/// <param name="RunId">The run started, when the decision was to start and the start succeeded.</param>
public sealed record TagPollOutcome(string CampaignId, TagTriggerDecision Decision, Guid? RunId);

/// <summary>What one poll did and what it cost in Klaviyo requests.</summary>
/// <param name="TagFound">Klaviyo has a tag with the configured name.</param>
/// <param name="TaggedCampaigns">Campaigns carrying the tag.</param>
/// <param name="Outcomes">One entry per campaign the poll decided something for (tagged, or whose tag was just removed).</param>
/// <param name="TagRequests">Requests this poll sent to the tag endpoints (get_tags, get_campaign_ids_for_tag), retries included.</param>
/// <param name="CampaignRequests">GET /api/campaigns/{id} requests this poll sent for tagged campaigns unknown locally.</param>
public sealed record TagPollResult(bool TagFound, int TaggedCampaigns, IReadOnlyList<TagPollOutcome> Outcomes, long TagRequests, int CampaignRequests)
{
    /// <summary>Ids of the runs this poll started.</summary>
    public IReadOnlyList<Guid> StartedRunIds => Outcomes.Where(o => o.RunId is not null).Select(o => o.RunId!.Value).ToList();
}

/// <summary>
/// One poll of the automatic flow (issue #5). Klaviyo is asked only which campaigns carry the tag: the tag by name
/// (1 request) and its campaign ids (1 request per page); status, messages and send time come from the local copy kept
/// by the campaign sync, and only tagged campaigns unknown locally (or of unknown status) are fetched one by one, at most
/// <see cref="TriggerOptions.MaxCampaignRefreshesPerPoll"/> per poll. Each tagged campaign is then decided by
/// <see cref="TagTriggerRules"/> and the decision is persisted in <see cref="TagTriggerState"/>.
/// </summary>
/// <remarks>
/// Exactly once: polls of this process run one at a time (the Quartz job also disallows concurrency), the trigger state is
/// saved right after each start, a run created since the trigger was armed is adopted (covers a crash between the
/// start and that save), and <see cref="PersonalizationRunService.StartAsync"/> refuses a second active run anyway.
/// </remarks>
public sealed class TagPoller(
    IKlaviyoClient klaviyo,
    KlaviyoClientStats klaviyoStats,
    CampaignSyncService campaignSync,
    PersonalizationRunService runs,
    IDbContextFactory<ReflyDbContext> contextFactory,
    IOptionsMonitor<TriggerOptions> options,
    IOptionsMonitor<PersonalizationOptions> personalization,
    TimeProvider time,
    ILogger<TagPoller> logger)
{
    private readonly SemaphoreSlim _oneAtATime = new(1, 1);

    /// <summary>Runs one poll; a concurrent caller waits for the running poll and then polls itself.</summary>
    public async Task<TagPollResult> PollAsync(CancellationToken cancellationToken)
    {
        await _oneAtATime.WaitAsync(cancellationToken);
        try
        {
            return await PollCoreAsync(cancellationToken);
        }
        finally
        {
            _oneAtATime.Release();
        }
    }

    private async Task<TagPollResult> PollCoreAsync(CancellationToken cancellationToken)
    {
        // One snapshot per poll: a tag or limit changed in Settings applies from the next poll.
        var current = options.CurrentValue;
        var tagName = current.TagName;
        var tagRequestsBefore = TagRequestsSent();
        var tag = await klaviyo.FindTagByNameAsync(tagName, cancellationToken);
        var tagged = new HashSet<string>(StringComparer.Ordinal);
        if (tag is not null)
        {
            await foreach (var id in klaviyo.GetCampaignIdsForTagAsync(tag.Id, cancellationToken))
            {
                tagged.Add(id);
            }
        }
        var tagRequests = TagRequestsSent() - tagRequestsBefore;

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var states = await db.TagTriggerStates.ToDictionaryAsync(s => s.CampaignKlaviyoId, StringComparer.Ordinal, cancellationToken);
        var relevant = tagged.Concat(states.Keys).Distinct(StringComparer.Ordinal).ToList();
        var campaigns = await LoadCampaignsAsync(db, relevant, cancellationToken);

        var campaignRequests = 0;
        var toRefresh = tagged
            .Where(id => !campaigns.TryGetValue(id, out var c) || c.Status == CampaignStatus.Unknown || c.RemovedFromKlaviyoAt is not null)
            .Take(Math.Max(0, current.MaxCampaignRefreshesPerPoll))
            .ToList();
        foreach (var id in toRefresh)
        {
            campaignRequests++;
            await campaignSync.RefreshAsync(id, cancellationToken);
        }
        if (toRefresh.Count > 0)
        {
            campaigns = await LoadCampaignsAsync(db, relevant, cancellationToken);
        }

        var localIds = campaigns.Values.Select(c => c.Id).ToList();
        var latestRuns = await db.Runs.AsNoTracking()
            .Where(r => localIds.Contains(r.CampaignId))
            .GroupBy(r => r.CampaignId)
            .Select(g => g.OrderByDescending(r => r.CreatedAt).First())
            .ToDictionaryAsync(r => r.CampaignKlaviyoId, StringComparer.Ordinal, cancellationToken);

        var now = time.GetUtcNow();
        var sendTimeCheck = new SendTimeCheck(time);
        var outcomes = new List<TagPollOutcome>();
        foreach (var id in relevant)
        {
            var isTagged = tagged.Contains(id);
            states.TryGetValue(id, out var state);
            campaigns.TryGetValue(id, out var campaign);
            latestRuns.TryGetValue(id, out var latest);

            if (isTagged && state is null)
            {
                state = new TagTriggerState { CampaignKlaviyoId = id, Armed = true, ArmedAt = now };
                db.TagTriggerStates.Add(state);
            }
            if (isTagged)
            {
                state!.LastSeenTaggedAt = now;
                state.TagName = tagName;
                if (campaign is not null && TagTriggerRules.AnswersArmedTrigger(state, campaign, latest))
                {
                    logger.LogInformation("Tag trigger for campaign {CampaignId} is answered by run {RunId}, started since the tag was seen", id, latest!.Id);
                    state.Armed = false;
                }
                if (!state.Armed && latest is not null)
                {
                    state.LastRunId = latest.Id;
                    if (latest.Originals.Count > 0)
                    {
                        state.Fingerprint = ContentFingerprint.OfRun(latest);
                    }
                }
            }

            var answering = state is { Armed: false } ? latest : null;
            var facts = new TagTriggerFacts(
                isTagged,
                campaign,
                state,
                latest is not null && RunStateMachine.IsActive(latest.State) ? latest : null,
                answering,
                campaign is not null && answering is not null && RunQueryService.IsStale(answering, campaign),
                campaign is null ? sendTimeCheck.Check(null) : sendTimeCheck.Check(campaign.Status, campaign.SendTime),
                TagNameChanged: !isTagged && state is not null && !string.Equals(state.TagName, tagName, StringComparison.Ordinal));
            var decision = TagTriggerRules.Decide(facts);
            if (decision.Action == TagTriggerAction.None)
            {
                continue;
            }

            Guid? runId = null;
            switch (decision.Action)
            {
                case TagTriggerAction.Rearm:
                    state!.Armed = true;
                    state.ArmedAt = now;
                    logger.LogInformation("Tag '{Tag}' removed from campaign {CampaignId}: adding it again starts personalization again", tagName, id);
                    break;
                case TagTriggerAction.Skip:
                    var ownRunActive = decision.Code == TagTriggerCodes.RunActive && state is { Armed: false } && latest?.Id == state.LastRunId;
                    if (!ownRunActive && (state!.LastDecision != decision.Code || state.LastReason != decision.Reason))
                    {
                        // Logged when the reason changes, not every poll; the tag's own run being under way is no news.
                        logger.LogInformation("Tagged campaign {CampaignId} not started: {Reason}", id, decision.Reason);
                    }
                    break;
                case TagTriggerAction.Start:
                    (decision, runId) = await StartAsync(campaign!, state!, latest, decision, tagName, cancellationToken);
                    break;
            }

            state!.LastDecision = decision.Code;
            state.LastReason = decision.Reason;
            state.LastDecisionAt = now;
            // Saved per campaign: a started run and the disarmed trigger reach the database together, before the next start.
            await db.SaveChangesAsync(cancellationToken);
            outcomes.Add(new TagPollOutcome(id, decision, runId));
        }

        await db.SaveChangesAsync(cancellationToken);
        var started = outcomes.Count(o => o.RunId is not null);
        if (started > 0 || toRefresh.Count > 0)
        {
            logger.LogInformation(
                "Tag poll: {Tagged} campaign(s) tagged '{Tag}', {Started} run(s) started, {TagRequests} tag request(s), {CampaignRequests} campaign request(s)",
                tagged.Count, tagName, started, tagRequests, campaignRequests);
        }
        return new TagPollResult(tag is not null, tagged.Count, outcomes, tagRequests, campaignRequests);
    }

    private async Task<(TagTriggerDecision Decision, Guid? RunId)> StartAsync(
        Campaign campaign, TagTriggerState state, PersonalizationRun? latest, TagTriggerDecision decision, string tagName, CancellationToken cancellationToken)
    {
        var messageIds = TagTriggerRules.MessagesToPersonalize(campaign);
        var result = await runs.StartAsync(new StartRunRequest(campaign.KlaviyoId, messageIds, RunTrigger.Tag, tagName)
        {
            // Nobody chooses a share in the tag flow: the configured default keeps a control group on every tagged campaign.
            HoldoutShare = personalization.CurrentValue.DefaultHoldoutShare,
        }, cancellationToken);
        if (!result.Succeeded)
        {
            var refused = new TagTriggerDecision(TagTriggerAction.Skip, TagTriggerCodes.Refused, result.ErrorMessage ?? "The run was refused.");
            if (state.LastDecision != refused.Code || state.LastReason != refused.Reason)
            {
                logger.LogInformation("Tagged campaign {CampaignId} not started: {Reason}", campaign.KlaviyoId, refused.Reason);
            }
            return (refused, null);
        }

        var run = result.Run!;
        state.Armed = false;
        state.LastRunId = run.Id;
        // Provisional: replaced by the fingerprint of the run's own snapshot once it has one.
        state.Fingerprint = ContentFingerprint.OfCampaign(campaign, messageIds, OriginalsOf(latest));
        logger.LogInformation("Tag '{Tag}' started personalization run {RunId} of campaign {CampaignId} ({Messages} message(s)): {Reason}",
            tagName, run.Id, campaign.KlaviyoId, messageIds.Count, decision.Reason);
        return (decision, run.Id);
    }

    private static Dictionary<string, MessageSnapshot> OriginalsOf(PersonalizationRun? run) =>
        run?.Originals.ToDictionary(o => o.MessageId, StringComparer.Ordinal) ?? new Dictionary<string, MessageSnapshot>(StringComparer.Ordinal);

    private static async Task<Dictionary<string, Campaign>> LoadCampaignsAsync(ReflyDbContext db, List<string> ids, CancellationToken cancellationToken) =>
        await db.Campaigns.AsNoTracking().Include(c => c.Messages)
            .Where(c => ids.Contains(c.KlaviyoId))
            .ToDictionaryAsync(c => c.KlaviyoId, StringComparer.Ordinal, cancellationToken);

    private long TagRequestsSent() =>
        klaviyoStats.For(KlaviyoEndpoints.GetTags.Key).RequestsSent + klaviyoStats.For(KlaviyoEndpoints.GetCampaignIdsForTag.Key).RequestsSent;
}
