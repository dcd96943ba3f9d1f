using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;

namespace Refly.Core.Triggers;

/// <summary>
/// Quartz job: one tag poll, every <c>Triggers:PollInterval</c>, by one instance among all on the database (the one
/// holding the <see cref="LeaseName"/> lease; another takes over once that instance stops or its lease expires).
/// </summary>
[DisallowConcurrentExecution]
public sealed class TagPollJob(TagPoller poller, LeaseManager leases, ILogger<TagPollJob> logger) : IJob
{
    /// <summary>The lease of the instance that polls.</summary>
    public const string LeaseName = "tag-poll";

    /// <summary>The job's key in the scheduler.</summary>
    public static readonly JobKey Key = new("tag-poll", "triggers");

    /// <summary>The repeating trigger that fires the job every poll interval.</summary>
    public static readonly TriggerKey TriggerKey = new("tag-poll-interval", "triggers");

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
            if (!await leases.HoldAsync(LeaseName, cancellationToken))
            {
                logger.LogDebug("Tag poll skipped: another instance polls");
                return;
            }
            await poller.PollAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Tag poll interrupted by shutdown");
        }
        catch (KlaviyoException ex)
        {
            // Nothing was re-armed or started from a failed read; the next interval tries again.
            logger.LogWarning("Tag poll failed: {Reason}", ex.Message);
        }
    }
}
