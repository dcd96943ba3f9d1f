using System.Globalization;
using Microsoft.Extensions.Options;
using Refly.Core.Klaviyo;
using Refly.Core.Campaigns;

namespace Refly.Core.Personalization;

/// <summary>An estimate of when a run finishes, and whether that is in time for the send.</summary>
/// <param name="ContactsPerSecond">The throughput used: measured when something was processed, else the configured expectation.</param>
/// <param name="IsMeasured">True when <paramref name="ContactsPerSecond"/> was measured from this run's progress.</param>
/// <param name="Remaining">Time left at that throughput (zero when everything is processed).</param>
/// <param name="EstimatedCompletion">Now plus <paramref name="Remaining"/>.</param>
/// <param name="Deadline">The send time minus <see cref="SendTimeCheck.EditLockWindow"/>; null when there is no send time to meet (see <see cref="SendTimeCheck.DeadlineOf"/>).</param>
/// <param name="FinishesBeforeDeadline">Whether the completion is at or before the deadline; null without a deadline.</param>
public sealed record RunEstimateResult(
    double ContactsPerSecond,
    bool IsMeasured,
    TimeSpan Remaining,
    DateTimeOffset EstimatedCompletion,
    DateTimeOffset? Deadline,
    bool? FinishesBeforeDeadline);

/// <summary>Estimates (ETA against the send time) shown in the table and used to warn before a start.</summary>
public static class RunEstimate
{
    /// <summary>Profiles per page of an audience read (Klaviyo's largest page, which the client asks for).</summary>
    public const int ProfilesPerPage = KlaviyoClient.MaxPageSize;

    /// <summary>
    /// Of the rate the audience reads are paced at, what a run achieves end to end (its fixed start and its last import
    /// jobs): 96% measured for 200,000 contacts (docs/PERFORMANCE.md).
    /// </summary>
    public const double PipelineEfficiency = 0.96;

    /// <summary>
    /// The throughput to expect before a run has measured its own: the audience read is bounded by
    /// <c>get_profiles_for_list</c>'s steady limit (750 pages of 100 a minute) times the share of it Refly takes
    /// (<see cref="KlaviyoOptions.RateLimitShare"/>, less the pacing margin) and <see cref="PipelineEfficiency"/>:
    /// 1,058 contacts a second at the default share of 0.9. What the account's other integrations take is not known
    /// before the run reads; the run's own measured rate replaces this as soon as something is written.
    /// </summary>
    /// <param name="rateLimitShare">The share of each endpoint's limit Refly uses (0.1 to 1.0).</param>
    /// <param name="rateLimitScale">The client's <see cref="KlaviyoOptions.RateLimitScale"/> (1 against Klaviyo).</param>
    public static double ExpectedContactsPerSecond(double rateLimitShare, double rateLimitScale = 1)
    {
        var share = Math.Clamp(rateLimitShare, KlaviyoOptions.MinRateLimitShare, KlaviyoOptions.MaxRateLimitShare);
        var scale = rateLimitScale > 0 ? rateLimitScale : 1;
        return KlaviyoEndpoints.GetProfilesForList.SteadyPerMinute / 60.0 * ProfilesPerPage * scale * share
            * (1 - KlaviyoSharedQuota.Margin) * PipelineEfficiency;
    }

    /// <summary>
    /// ETA for <paramref name="totalContacts"/> of which <paramref name="processedContacts"/> are done after
    /// <paramref name="elapsed"/>. Until something is processed (or no time has passed) the rate is
    /// <paramref name="expectedContactsPerSecond"/>. The deadline is <paramref name="sendTime"/> minus
    /// <see cref="SendTimeCheck.EditLockWindow"/>: content must be written before Klaviyo locks the campaign.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A count, the elapsed time or the expected rate is negative (or the rate zero).</exception>
    public static RunEstimateResult Compute(
        long totalContacts,
        long processedContacts,
        TimeSpan elapsed,
        double expectedContactsPerSecond,
        DateTimeOffset now,
        DateTimeOffset? sendTime)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(totalContacts);
        ArgumentOutOfRangeException.ThrowIfNegative(processedContacts);
        ArgumentOutOfRangeException.ThrowIfLessThan(elapsed, TimeSpan.Zero);
        if (!(expectedContactsPerSecond > 0) || double.IsInfinity(expectedContactsPerSecond))
        {
            throw new ArgumentOutOfRangeException(nameof(expectedContactsPerSecond), expectedContactsPerSecond, "The expected throughput must be a positive number.");
        }

        var measured = processedContacts > 0 && elapsed > TimeSpan.Zero;
        var rate = measured ? processedContacts / elapsed.TotalSeconds : expectedContactsPerSecond;

        // The total is itself an estimate (Klaviyo's recipient estimation); never report negative work left.
        var left = Math.Max(0, totalContacts - processedContacts);
        var seconds = left / rate;
        var remaining = seconds >= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.MaxValue / 2 : TimeSpan.FromSeconds(Math.Ceiling(seconds));
        var completion = now + remaining;

        DateTimeOffset? deadline = sendTime is { } send ? send - SendTimeCheck.EditLockWindow : null;
        bool? inTime = deadline is { } d ? completion <= d : null;
        return new RunEstimateResult(rate, measured, remaining, completion, deadline, inTime);
    }
}

/// <summary>Why a campaign can or cannot be changed now, given its send time.</summary>
public enum SendTimeVerdict
{
    /// <summary>The campaign has no send time (e.g. a Draft with an immediate strategy): nothing to protect.</summary>
    NoSendTime,

    /// <summary>The send time is more than <see cref="SendTimeCheck.EditLockWindow"/> away.</summary>
    Allowed,

    /// <summary>The send time is within <see cref="SendTimeCheck.EditLockWindow"/>: Klaviyo locks edits.</summary>
    WithinEditLockWindow,

    /// <summary>The send time has passed.</summary>
    SendTimePassed,

    /// <summary>
    /// A Draft's planned datetime (a static send strategy's <c>datetime</c>): Klaviyo does not send a Draft until it is
    /// scheduled, so the planned datetime is no deadline, whether it is ahead or long past.
    /// </summary>
    PlannedNotScheduled,
}

/// <summary>The outcome of <see cref="SendTimeCheck.Check(CampaignStatus, DateTimeOffset?)"/>.</summary>
/// <param name="Verdict">What was found.</param>
/// <param name="Reason">A sentence for the marketer when refused; null when allowed.</param>
public sealed record SendTimeCheckResult(SendTimeVerdict Verdict, string? Reason)
{
    /// <summary>Whether the campaign's content may be changed now.</summary>
    public bool IsAllowed => Verdict is SendTimeVerdict.NoSendTime or SendTimeVerdict.Allowed or SendTimeVerdict.PlannedNotScheduled;

    /// <summary>A sentence for the marketer that does not refuse the start (a Draft's planned datetime has passed); else null.</summary>
    public string? Warning { get; init; }
}

/// <summary>
/// Refuses to touch a campaign whose send time has passed or is within <see cref="EditLockWindow"/>
/// (Klaviyo locks edits then; DESIGN.md, step 5). Time comes from the injected <see cref="TimeProvider"/>.
/// </summary>
public sealed class SendTimeCheck
{
    /// <summary>How long before the send time a campaign must no longer be touched.</summary>
    public static readonly TimeSpan EditLockWindow = TimeSpan.FromMinutes(15);

    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the check on <paramref name="timeProvider"/>.</summary>
    public SendTimeCheck(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        _timeProvider = timeProvider;
    }

    /// <summary>
    /// The send time a run must finish before: a Draft's datetime is only planned (Klaviyo sends nothing until the
    /// marketer schedules it), so a Draft has none; any other status keeps its send time.
    /// </summary>
    public static DateTimeOffset? DeadlineOf(CampaignStatus status, DateTimeOffset? sendTime) =>
        status == CampaignStatus.Draft ? null : sendTime;

    /// <summary>
    /// Whether a campaign in <paramref name="status"/> with <paramref name="sendTime"/> may be changed now. A Draft
    /// may whatever its planned datetime (with a warning when that has passed or is too close to schedule); any
    /// other status follows <see cref="Check(DateTimeOffset?)"/>.
    /// </summary>
    public SendTimeCheckResult Check(CampaignStatus status, DateTimeOffset? sendTime)
    {
        if (status != CampaignStatus.Draft || sendTime is not { } planned)
        {
            return Check(sendTime);
        }

        return new SendTimeCheckResult(SendTimeVerdict.PlannedNotScheduled, null) { Warning = PlannedWarning(planned, _timeProvider.GetUtcNow()) };
    }

    /// <summary>
    /// The warning for a Draft planned at <paramref name="planned"/>: null while it can still be scheduled at that time,
    /// else a sentence saying to set a new send time when scheduling (it has passed, or is inside the 15-minute lock).
    /// </summary>
    public static string? PlannedWarning(DateTimeOffset planned, DateTimeOffset now)
    {
        if (planned <= now)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The planned send time ({planned.UtcDateTime:yyyy-MM-dd HH:mm} UTC) has passed: set a new send time when you schedule the campaign.");
        }
        if (planned - now <= EditLockWindow)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"The planned send time ({planned.UtcDateTime:yyyy-MM-dd HH:mm} UTC) is less than {EditLockWindow.TotalMinutes:0} minutes away, too close for Klaviyo to schedule it: set a new send time when you schedule the campaign.");
        }
        return null;
    }

    /// <summary>Whether a campaign that sends at <paramref name="sendTime"/> (a scheduled send) may be changed now.</summary>
    public SendTimeCheckResult Check(DateTimeOffset? sendTime)
    {
        if (sendTime is not { } send)
        {
            return new SendTimeCheckResult(SendTimeVerdict.NoSendTime, null);
        }

        var now = _timeProvider.GetUtcNow();
        if (send <= now)
        {
            return new SendTimeCheckResult(
                SendTimeVerdict.SendTimePassed,
                string.Create(CultureInfo.InvariantCulture, $"The send time ({send.UtcDateTime:yyyy-MM-dd HH:mm} UTC) has passed."));
        }

        if (send - now <= EditLockWindow)
        {
            return new SendTimeCheckResult(
                SendTimeVerdict.WithinEditLockWindow,
                string.Create(CultureInfo.InvariantCulture, $"The campaign sends at {send.UtcDateTime:yyyy-MM-dd HH:mm} UTC, within {EditLockWindow.TotalMinutes:0} minutes: Klaviyo locks edits then."));
        }

        return new SendTimeCheckResult(SendTimeVerdict.Allowed, null);
    }

    /// <summary>Whether a campaign that sends at <paramref name="sendTime"/> (a scheduled send) may be changed now.</summary>
    public bool IsEditable(DateTimeOffset? sendTime) => Check(sendTime).IsAllowed;
}

/// <summary>
/// The throughput estimates assume before a run measures its own: <see cref="PersonalizationOptions.ExpectedContactsPerSecond"/>
/// when configured, else <see cref="RunEstimate.ExpectedContactsPerSecond"/> at the current share of Klaviyo's rate
/// limits (a share saved in Settings applies to the next estimate).
/// </summary>
public sealed class ExpectedThroughput(IOptionsMonitor<PersonalizationOptions> personalization, IOptionsMonitor<KlaviyoOptions> klaviyo)
{
    /// <summary>Contacts a second.</summary>
    public double ContactsPerSecond =>
        personalization.CurrentValue.ExpectedContactsPerSecond
        ?? RunEstimate.ExpectedContactsPerSecond(klaviyo.CurrentValue.RateLimitShare, klaviyo.CurrentValue.RateLimitScale);
}
