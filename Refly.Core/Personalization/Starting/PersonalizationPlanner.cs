using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// A sample contact's personalized content for one message, shown before confirming: the first contact of one of the
/// largest fact groups of the audience's first page (<see cref="GroupSize"/> of its contacts share its facts).
/// </summary>
public sealed record SamplePreview(string Contact, string MessageId, string OriginalSubject, PersonalizedContent Content)
{
    /// <summary>The sample contact (server-side only: regenerate and edit start from it).</summary>
    public KlaviyoProfile? Profile { get; init; }

    /// <summary><see cref="ContactFacts.Hash"/> of the sample's group: an approved edit applies to every contact with it.</summary>
    public string FactsHash { get; init; } = string.Empty;

    /// <summary>The group's facts in words ("gold · outerwear · Porto, Portugal"), or "no known facts".</summary>
    public string FactsLabel { get; init; } = string.Empty;

    /// <summary>How many contacts of the sampled page share the facts.</summary>
    public int GroupSize { get; init; }

    /// <summary>How many contacts were sampled.</summary>
    public int SampledContacts { get; init; }
}

/// <summary>What the Personalize modal shows before the marketer confirms.</summary>
public sealed record PersonalizationPlan(
    long? EstimatedRecipients,
    TimeSpan? EstimatedDuration,
    DateTimeOffset? SendTime,
    DateTimeOffset? Deadline,
    bool? FinishesBeforeSendTime,
    SendTimeCheckResult SendTimeCheck,
    IReadOnlyList<SamplePreview> Samples,
    string? Warning)
{
    /// <summary>
    /// Why there is no estimate: what Klaviyo did (refused, could not be reached), in words for the marketer; null when
    /// the estimate was made. Nothing should start on a plan that has one.
    /// </summary>
    public string? EstimateFailure { get; init; }

    /// <summary>Each message's original content (see <see cref="PersonalizationPlanner.OriginalContentAsync"/>).</summary>
    public IReadOnlyDictionary<string, MessageContent> Originals { get; init; } = new Dictionary<string, MessageContent>();

    /// <summary>The estimate per personalizer and the plan offered first (see <see cref="PlanChoicesService"/>); null without an audience estimate.</summary>
    public PlanChoices? Choices { get; init; }

    /// <summary>The campaign's saved brief (the samples are written with it); <see cref="CampaignBrief.Default"/> when none was saved.</summary>
    public CampaignBrief Brief { get; init; } = CampaignBrief.Default;

    /// <summary>The holdout share the modal starts with (<see cref="PersonalizationOptions.DefaultHoldoutShare"/>).</summary>
    public double DefaultHoldoutShare { get; init; } = 0.10;
}

/// <summary>Estimates a run before it starts (audience size, duration against the send time) and previews sample contacts.</summary>
public sealed class PersonalizationPlanner(
    IKlaviyoClient klaviyo,
    GroupDirectory groups,
    PersonalizerSelector personalizers,
    RunStore runs,
    SendTimeCheck sendTimeCheck,
    TimeProvider time,
    ExpectedThroughput throughput,
    ILogger<PersonalizationPlanner> logger,
    CampaignBriefStore briefs,
    PlanChoicesService? choices = null,
    Microsoft.Extensions.Options.IOptions<PersonalizationOptions>? options = null)
{
    /// <summary>At least this many of the largest fact groups are shown as samples (fewer only when the page has fewer).</summary>
    public const int SampleGroups = 5;

    public async Task<PersonalizationPlan> PlanAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        var check = sendTimeCheck.Check(campaign.Status, campaign.SendTime);
        var originals = await OriginalContentAsync(campaign, cancellationToken);
        var brief = await briefs.GetAsync(campaign.KlaviyoId, cancellationToken);
        long? recipients = null;
        var samples = new List<SamplePreview>();
        var sampled = new List<KlaviyoProfile>();
        var preview = new StrongBox<PreviewModelCalls?>();
        string? warning = null;
        string? failure = null;
        try
        {
            recipients = await EstimateRecipientsAsync(campaign.KlaviyoId, campaign.IncludedAudienceIds, cancellationToken);
            samples = await SamplesAsync(campaign, originals, sampled, preview, brief, cancellationToken);
        }
        catch (KlaviyoException ex)
        {
            logger.LogWarning("Could not estimate campaign {CampaignId}: {Reason}", campaign.KlaviyoId, ex.Message);
            if (recipients is null)
            {
                failure = ex.Message;
            }
            else
            {
                warning = $"The sample contacts could not be loaded: {ex.Message}";
            }
        }

        TimeSpan? duration = null;
        DateTimeOffset? deadline = null;
        bool? inTime = null;
        if (recipients is { } total)
        {
            var estimate = RunEstimate.Compute(total, 0, TimeSpan.Zero, throughput.ContactsPerSecond, time.GetUtcNow(),
                SendTimeCheck.DeadlineOf(campaign.Status, campaign.SendTime));
            duration = estimate.Remaining;
            deadline = estimate.Deadline;
            inTime = estimate.FinishesBeforeDeadline;
            if (inTime == false && check.IsAllowed)
            {
                warning ??= $"At about {estimate.ContactsPerSecond:N0} contacts a second this may not finish before Klaviyo locks the campaign ({deadline:u}, 15 minutes before the send time). Contacts not reached by then receive the original content.";
            }
        }
        PlanChoices? plan = null;
        if (recipients is { } audience && choices is not null)
        {
            plan = await choices.ChooseAsync(
                audience, Math.Max(1, campaign.Messages.Count), SendTimeCheck.DeadlineOf(campaign.Status, campaign.SendTime), sampled, cancellationToken, preview.Value);
        }
        return new PersonalizationPlan(recipients, duration, campaign.SendTime, deadline, inTime, check, samples, warning)
        {
            Choices = plan,
            Originals = originals,
            EstimateFailure = failure,
            Brief = brief,
            DefaultHoldoutShare = options?.Value.DefaultHoldoutShare ?? 0.10,
        };
    }

    /// <summary>
    /// The samples written again with <paramref name="brief"/> (a brief edited in the modal): the largest fact groups
    /// as that brief's allowed facts form them, one copy each.
    /// </summary>
    public async Task<IReadOnlyList<SamplePreview>> SamplesWithBriefAsync(Campaign campaign, CampaignBrief brief, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(campaign);
        ArgumentNullException.ThrowIfNull(brief);
        var originals = await OriginalContentAsync(campaign, cancellationToken);
        return await SamplesAsync(campaign, originals, [], new StrongBox<PreviewModelCalls?>(), brief, cancellationToken);
    }

    /// <summary>
    /// The original subject and preview of each message. A message still pointed at an earlier run's properties shows
    /// that run's snapshot, never the lookup expression Klaviyo now holds.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, MessageContent>> OriginalContentAsync(Campaign campaign, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, MessageContent>(StringComparer.Ordinal);
        IReadOnlyDictionary<string, MessageSnapshot>? earlier = null;
        foreach (var message in campaign.Messages)
        {
            if (PersonalizedMarkup.IsSwitched(message.Subject) || PersonalizedMarkup.IsSwitched(message.PreviewText))
            {
                earlier ??= await runs.LatestOriginalsAsync(campaign.Id, Guid.Empty, cancellationToken);
                if (earlier.TryGetValue(message.KlaviyoId, out var snapshot))
                {
                    result[message.KlaviyoId] = new MessageContent(snapshot.Subject, snapshot.PreviewText);
                    continue;
                }
            }
            result[message.KlaviyoId] = new MessageContent(message.Subject ?? string.Empty, message.PreviewText);
        }
        return result;
    }

    /// <summary>Klaviyo's recipient estimate, else the included lists' and segments' profile counts.</summary>
    public async Task<long?> EstimateRecipientsAsync(string campaignId, IReadOnlyList<string> includedAudienceIds, CancellationToken cancellationToken)
    {
        var estimate = await klaviyo.GetRecipientEstimateAsync(campaignId, cancellationToken);
        if (estimate is not null)
        {
            return estimate;
        }
        long sum = 0;
        var any = false;
        foreach (var id in includedAudienceIds)
        {
            var group = await groups.ResolveAsync(id, cancellationToken);
            if (group?.ProfileCount is { } count)
            {
                sum += count;
                any = true;
            }
        }
        return any ? sum : null;
    }

    private async Task<List<SamplePreview>> SamplesAsync(
        Campaign campaign,
        IReadOnlyDictionary<string, MessageContent> originals,
        List<KlaviyoProfile> sampled,
        StrongBox<PreviewModelCalls?> preview,
        CampaignBrief brief,
        CancellationToken cancellationToken)
    {
        var samples = new List<SamplePreview>();
        var firstGroup = campaign.IncludedAudienceIds.FirstOrDefault();
        if (firstGroup is null)
        {
            return samples;
        }
        var group = (await groups.ResolveAsync(firstGroup, cancellationToken))?.Ref;
        if (group is null)
        {
            return samples;
        }
        var page = await klaviyo.GetGroupProfilesPageAsync(group, null, null, cancellationToken);
        // The page is also the sample the fact-group estimate goes by.
        sampled.AddRange(page.Items);
        var personalizer = personalizers.Current;
        // The samples show what the run will write: with the campaign's saved brief, as a start without a brief uses it.
        var briefHash = brief.Hash();
        // The largest fact groups first: their copy reaches the most contacts, so they are the ones worth approving.
        var largest = page.Items
            .Select((profile, index) => (Profile: profile, Index: index, Facts: ContactFacts.From(profile, brief)))
            .GroupBy(p => p.Facts.Hash, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.First().Index)
            .Take(SampleGroups)
            .ToList();
        var requests = (
            from factGroup in largest
            from message in campaign.Messages
            select (Group: factGroup, Request: new PersonalizationRequest(factGroup.First().Profile, message.KlaviyoId, campaign.Name, originals[message.KlaviyoId])
            {
                Brief = brief,
                BriefHash = briefHash,
            })).ToList();
        var contents = await GenerateSamplesAsync(personalizer, requests.Select(r => r.Request).ToList(), preview, cancellationToken);
        for (var i = 0; i < requests.Count; i++)
        {
            var (factGroup, request) = requests[i];
            var (profile, _, facts) = factGroup.First();
            samples.Add(new SamplePreview(SampleLabel(profile), request.MessageId, request.Original.Subject, contents[i])
            {
                Profile = profile,
                FactsHash = facts.Hash,
                FactsLabel = FactsLabel(facts),
                GroupSize = factGroup.Count(),
                SampledContacts = page.Items.Count,
            });
        }
        return samples;
    }

    /// <summary>
    /// The samples' copy, generated side by side (one call a sample, as many at once as the model's limiter lets in:
    /// the modal waits less). With the model, what those calls cost is <see cref="PreviewModelCalls"/>: the measurement
    /// the plan goes by before any run has measured the model.
    /// </summary>
    private async Task<IReadOnlyList<PersonalizedContent>> GenerateSamplesAsync(
        IPersonalizer personalizer,
        IReadOnlyList<PersonalizationRequest> requests,
        StrongBox<PreviewModelCalls?> preview,
        CancellationToken cancellationToken)
    {
        // The samples' own counters: a run using the model at the same time does not blur the measurement.
        var usage = personalizer is LlmPersonalizer ? new LlmPersonalizerStats() : null;
        var started = time.GetTimestamp();
        var results = await Task.WhenAll(requests.Select(r => personalizer.PersonalizeAsync(r with { Usage = usage }, cancellationToken).AsTask()));
        var elapsed = time.GetElapsedTime(started);
        if (usage is not null)
        {
            var measured = usage.Snapshot();
            preview.Value = new PreviewModelCalls(measured.GroupsGenerated, measured.ModelCalls, measured.InputTokens, measured.OutputTokens, elapsed);
        }
        return results;
    }

    /// <summary>How the modal names a sample contact: their name, else their e-mail address, else their id.</summary>
    public static string SampleLabel(KlaviyoProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        var who = string.Join(' ', new[] { profile.FirstName, profile.LastName }.Where(s => !string.IsNullOrWhiteSpace(s)));
        return string.IsNullOrEmpty(who) ? profile.Email ?? profile.Id : who;
    }

    /// <summary>A fact group in words for the marketer.</summary>
    public static string FactsLabel(ContactFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var fields = facts.ToPromptFields();
        return fields.Count == 0 ? "no known facts" : string.Join(" · ", fields.Select(f => f.Value));
    }
}
