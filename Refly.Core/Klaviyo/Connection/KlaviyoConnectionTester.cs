using Microsoft.Extensions.Logging;

namespace Refly.Core.Klaviyo;

/// <summary>Outcome of "Test connection".</summary>
public sealed record ConnectionTestResult(bool Succeeded, string Message)
{
    /// <summary>The account reached, when <see cref="Succeeded"/>.</summary>
    public KlaviyoAccount? Account { get; init; }
}

/// <summary>"Test connection": asks Klaviyo for the account behind a key, with a bounded wait.</summary>
public sealed class KlaviyoConnectionTester(IKlaviyoClient client, IKlaviyoConnection connection, ILogger<KlaviyoConnectionTester> logger)
{
    /// <summary>How long "Test connection" waits before saying Klaviyo did not answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Tests the connection in use (the key saved in Settings, else configuration, else the demo sandbox).</summary>
    public Task<ConnectionTestResult> TestAsync(CancellationToken cancellationToken) => TestAsync(connection, cancellationToken);

    /// <summary>Tests <paramref name="target"/>: its key at its base URL. The result carries the account when it succeeded.</summary>
    public async Task<ConnectionTestResult> TestAsync(IKlaviyoConnection target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var host = target.BaseUrl.Authority;
        try
        {
            var account = await client.GetAccountAsync(target, timeout.Token);
            var name = string.IsNullOrWhiteSpace(account.OrganizationName) ? "(no organization name)" : account.OrganizationName;
            return new ConnectionTestResult(true, $"Connected to Klaviyo account {name} ({account.Id}) at {host}.") { Account = account };
        }
        catch (KlaviyoAuthenticationException ex)
        {
            var detail = ex.Detail is { } d ? $": {d}" : ".";
            return new ConnectionTestResult(false, $"Klaviyo rejected the API key ({host}, {(int?)ex.StatusCode}){detail}");
        }
        catch (KlaviyoUnreachableException ex)
        {
            return new ConnectionTestResult(false, ex.Message);
        }
        catch (KlaviyoException ex)
        {
            logger.LogWarning("Test connection failed: {Error}", ex.Message);
            return new ConnectionTestResult(false, $"Klaviyo at {host} answered with an error: {ex.Message}");
        }
        catch (HttpRequestException ex)
        {
            return new ConnectionTestResult(false, $"Could not reach Klaviyo at {host}: {ex.Message}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new ConnectionTestResult(false, $"Klaviyo at {host} did not answer within {Timeout.TotalSeconds:0} seconds.");
        }
    }
}
