using System.Globalization;
using Microsoft.Extensions.Options;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;

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

    /// <summary>
    /// How long a run's measured rate needs before its ETA is shown: in the first seconds the rate is dominated by the
    /// run's fixed start (snapshot, switch, the first import job) and by import jobs finishing in bursts, which made
    /// the ETA swing from 2 to 7 to 3 minutes within 10 seconds.
    /// </summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(30);

    /// <summary>Whether an ETA from this much measured progress is stable enough to show (else "estimating").</summary>
    public static bool IsSettled(long processedContacts, TimeSpan elapsed) => processedContacts > 0 && elapsed >= SettleTime;

    /// <summary>
    /// <see cref="Compute"/> with the measured rate blended into the expected one while it settles: the measured
    /// rate's weight grows linearly from 0 to 1 over <see cref="SettleTime"/>, so one burst early in a run moves the
    /// estimate a little instead of all the way; from <see cref="SettleTime"/> on it is the measured rate alone.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">As <see cref="Compute"/>.</exception>
    public static RunEstimateResult ComputeSmoothed(
        long totalContacts,
        long processedContacts,
        TimeSpan elapsed,
        double expectedContactsPerSecond,
        DateTimeOffset now,
        DateTimeOffset? sendTime)
    {
        var raw = Compute(totalContacts, processedContacts, elapsed, expectedContactsPerSecond, now, sendTime);
        if (!raw.IsMeasured || elapsed >= SettleTime)
        {
            return raw;
        }
        var weight = elapsed / SettleTime;
        var blended = weight * raw.ContactsPerSecond + (1 - weight) * expectedContactsPerSecond;
        var left = Math.Max(0, totalContacts - processedContacts);
        var seconds = left / blended;
        var remaining = seconds >= TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.MaxValue / 2 : TimeSpan.FromSeconds(Math.Ceiling(seconds));
        var completion = now + remaining;
        return new RunEstimateResult(blended, true, remaining, completion, raw.Deadline, raw.Deadline is { } d ? completion <= d : null);
    }
}
