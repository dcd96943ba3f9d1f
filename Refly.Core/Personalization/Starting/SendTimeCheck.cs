using System.Globalization;
using Microsoft.Extensions.Options;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

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
/// (Klaviyo locks edits then). Time comes from the injected <see cref="TimeProvider"/>.
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
