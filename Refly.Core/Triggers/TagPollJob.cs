using Microsoft.Extensions.Logging;
using Quartz;
using Refly.Core.Klaviyo;

namespace Refly.Core.Triggers;

/// <summary>Quartz job: one tag poll, every <c>Triggers:PollInterval</c>.</summary>
[DisallowConcurrentExecution]
public sealed class TagPollJob(TagPoller poller, ILogger<TagPollJob> logger) : IJob
{
    /// <summary>The job's key in the scheduler.</summary>
    public static readonly JobKey Key = new("tag-poll", "triggers");

    /// <summary>The repeating trigger that fires the job every poll interval.</summary>
    public static readonly TriggerKey TriggerKey = new("tag-poll-interval", "triggers");

    /// <inheritdoc />
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        try
        {
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
