using Microsoft.Extensions.Diagnostics.HealthChecks;
using Refly.Core.Klaviyo;

namespace Refly.Dashboard.Hosting.Health;

/// <summary>
/// Klaviyo answers a cheap call (the account) within a short timeout. The result is cached so that a monitor polling
/// /health every few seconds does not spend the account's rate limit; an unreachable Klaviyo is Degraded, not
/// Unhealthy, because the app itself still serves and resumes its work when Klaviyo is back.
/// </summary>
internal sealed class KlaviyoHealthCheck(IServiceProvider services, TimeProvider time) : IHealthCheck
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (HealthCheckResult Result, DateTimeOffset At)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } cached && time.GetUtcNow() - cached.At < CacheFor)
            {
                return cached.Result;
            }
            var result = await ProbeAsync(cancellationToken);
            _last = (result, time.GetUtcNow());
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<HealthCheckResult> ProbeAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            // The typed client is transient; resolve one per probe rather than holding it in a singleton.
            var client = services.GetRequiredService<IKlaviyoClient>();
            await client.GetAccountAsync(timeout.Token);
            return HealthCheckResult.Healthy("Klaviyo reachable");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Degraded($"Klaviyo did not answer within {Timeout.TotalSeconds:0} s");
        }
        catch (KlaviyoAuthenticationException)
        {
            return HealthCheckResult.Degraded("Klaviyo rejected the API key");
        }
        catch (Exception ex) when (ex is KlaviyoException or HttpRequestException or Polly.Timeout.TimeoutRejectedException)
        {
            return HealthCheckResult.Degraded("Klaviyo not reachable: " + ex.Message);
        }
    }
}
