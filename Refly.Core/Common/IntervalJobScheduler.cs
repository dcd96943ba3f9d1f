using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Quartz;

namespace Refly.Core.Common;

/// <summary>A durable Quartz job fired every interval read from <typeparamref name="TOptions"/>.</summary>
/// <param name="Job">The job the trigger fires.</param>
/// <param name="Trigger">The trigger's identity (kept across reschedules).</param>
/// <param name="IntervalName">The configuration key of the interval, for messages.</param>
/// <param name="FireAtStart">Whether the first fire at start-up is immediate (else one interval after start).</param>
/// <param name="IntervalOf">The interval in the options.</param>
public sealed record IntervalJob<TOptions>(JobKey Job, TriggerKey Trigger, string IntervalName, bool FireAtStart, Func<TOptions, TimeSpan> IntervalOf);

public static class IntervalJobServiceCollectionExtensions
{
    /// <summary>Keeps <paramref name="job"/> on its repeating trigger (see <see cref="IntervalJobScheduler{TOptions}"/>).</summary>
    public static IServiceCollection AddIntervalJob<TOptions>(this IServiceCollection services, IntervalJob<TOptions> job) =>
        // Not AddHostedService: that keeps one registration per implementation type, and two jobs may share options.
        services.AddSingleton<IHostedService>(sp => new IntervalJobScheduler<TOptions>(
            job,
            sp.GetRequiredService<ISchedulerFactory>(),
            sp.GetRequiredService<IOptionsMonitor<TOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<IntervalJobScheduler<TOptions>>()));
}

/// <summary>
/// Keeps a durable Quartz job on a simple repeating trigger whose interval comes from <typeparamref name="TOptions"/>:
/// scheduled once the host's configuration is final, and rescheduled when the interval changes at run time (a value
/// saved in Settings), so the next fire is one new interval after the change.
/// </summary>
public sealed class IntervalJobScheduler<TOptions> : BackgroundService
{
    private readonly IntervalJob<TOptions> _job;
    private readonly ISchedulerFactory _schedulerFactory;
    private readonly IOptionsMonitor<TOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<TimeSpan> _changes = Channel.CreateBounded<TimeSpan>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest });
    private IDisposable? _subscription;
    private TimeSpan _scheduled;

    public IntervalJobScheduler(IntervalJob<TOptions> job, ISchedulerFactory schedulerFactory, IOptionsMonitor<TOptions> options, TimeProvider time, ILogger logger)
    {
        _job = job;
        _schedulerFactory = schedulerFactory;
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Subscribed before reading, so a change between the two is not missed.
        _subscription = _options.OnChange(options => _changes.Writer.TryWrite(_job.IntervalOf(options)));
        var interval = _job.IntervalOf(_options.CurrentValue);
        if (interval < TimeSpan.FromSeconds(1))
        {
            throw new InvalidOperationException($"{_job.IntervalName} must be at least one second (it is {interval}).");
        }
        var scheduler = await _schedulerFactory.GetScheduler(cancellationToken);
        await scheduler.ScheduleTrigger(BuildTrigger(interval, _job.FireAtStart ? null : _time.GetUtcNow() + interval), TriggerConflict.Replace, cancellationToken);
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
                _logger.LogWarning("{Setting} of {Interval} ignored: it must be at least one second", _job.IntervalName, interval);
                continue;
            }
            var scheduler = await _schedulerFactory.GetScheduler(stoppingToken);
            var trigger = BuildTrigger(interval, _time.GetUtcNow() + interval);
            if (await scheduler.RescheduleJob(_job.Trigger, trigger, stoppingToken) is null)
            {
                await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, stoppingToken);
            }
            _logger.LogInformation("{Setting} changed from {Old} to {New}: rescheduled", _job.IntervalName, _scheduled, interval);
            _scheduled = interval;
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
    }

    private ITrigger BuildTrigger(TimeSpan interval, DateTimeOffset? startAt)
    {
        var builder = TriggerBuilder.Create().ForJob(_job.Job).WithIdentity(_job.Trigger);
        builder = startAt is { } at ? builder.StartAt(at) : builder.StartNow();
        return builder.WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever()).Build();
    }
}
