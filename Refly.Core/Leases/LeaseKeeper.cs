using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Refly.Core.Leases;

/// <summary>
/// Renews this instance's leases every <see cref="LeaseOptions.RenewInterval"/> and releases them at shutdown (after
/// the scheduler's jobs stopped: it is registered before the Quartz host), so another instance takes the work over at
/// once after a clean stop, and within one <see cref="LeaseOptions.Duration"/> after a kill.
/// </summary>
public sealed class LeaseKeeper(LeaseManager leases, IOptionsMonitor<LeaseOptions> options, TimeProvider time) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.CurrentValue.RenewInterval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            await leases.RenewAllAsync(stoppingToken);
        }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await leases.ReleaseAllAsync(cancellationToken);
    }
}
