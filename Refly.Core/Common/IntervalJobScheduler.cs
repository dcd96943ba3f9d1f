using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace Refly.Core.Common;

/// <summary>
/// Keeps a durable Quartz job on a simple repeating trigger whose interval comes from <typeparamref name="TOptions"/>:
/// scheduled once the host's configuration is final, and rescheduled when the interval changes at run time (a value
/// saved in Settings), so the next fire is one new interval after the change.
/// </summary>
public abstract class IntervalJobScheduler<TOptions> : BackgroundService
{
    private readonly ISchedulerFactory _schedulerFactory;
    private readonly IOptionsMonitor<TOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<TimeSpan> _changes = Channel.CreateBounded<TimeSpan>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
    private IDisposable? _subscription;
    private TimeSpan _scheduled;

    protected IntervalJobScheduler(ISchedulerFactory schedulerFactory, IOptionsMonitor<TOptions> options, TimeProvider time, ILogger logger)
    {
        _schedulerFactory = schedulerFactory;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The job the trigger fires.</summary>
    protected abstract JobKey Job { get; }

    /// <summary>The trigger's identity (kept across reschedules).</summary>
    protected abstract TriggerKey Trigger { get; }

    /// <summary>The configuration key of the interval, for messages.</summary>
    protected abstract string IntervalName { get; }

    /// <summary>Whether the first fire at start-up is immediate (else one interval after start).</summary>
    protected abstract bool FireAtStart { get; }

    /// <summary>The interval in <paramref name="options"/>.</summary>
    protected abstract TimeSpan IntervalOf(TOptions options);

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before reading, so a change between the two is not missed.
        _subscription = _options.OnChange(options => _changes.Writer.TryWrite(IntervalOf(options)));
        var interval = IntervalOf(_options.CurrentValue);
        if (interval < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"{IntervalName} must be at least one second (it is {interval}).");
        }
        var scheduler = await _schedulerFactory.GetScheduler(cancellationToken);
        await scheduler.ScheduleTrigger(BuildTrigger(interval, FireAtStart ? null : _time.GetUtcNow() + interval), TriggerConflict.Replace, cancellationToken);
        _scheduled = interval;
        await base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var interval in _changes.Reader.ReadAllAsync(stoppingToken))
        {
            if (interval == _scheduled)
            {
                continue;
            }
            if (interval < TimeSpan.FromSeconds(1))
            {
                _logger.LogWarning("{Setting} of {Interval} ignored: it must be at least one second", IntervalName, interval);
                continue;
            }
            var scheduler = await _schedulerFactory.GetScheduler(stoppingToken);
            var trigger = BuildTrigger(interval, _time.GetUtcNow() + interval);
            if (await scheduler.RescheduleJob(Trigger, trigger, stoppingToken) is null)
            {
                await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, stoppingToken);
            }
            _logger.LogInformation("{Setting} changed from {Old} to {New}: rescheduled", IntervalName, _scheduled, interval);
            _scheduled = interval;
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
        GC.SuppressFinalize(this);
    }

    private ITrigger BuildTrigger(TimeSpan interval, DateTimeOffset? startAt)
    {
        var builder = TriggerBuilder.Create().ForJob(Job).WithIdentity(Trigger);
        builder = startAt is { } at ? builder.StartAt(at) : builder.StartNow();
        return builder.WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever()).Build();
    }
}
