using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Klaviyo;
using Refly.Core.Notifications;
using Refly.Core.Settings;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Settings;

/// <summary>The key a marketer types in Settings, against the sandbox over real HTTP (configured key: the sandbox's own).</summary>
public sealed class KlaviyoKeyTests
{
    private static readonly CancellationToken _none = CancellationToken.None;

    [Fact]
    public async Task TestConnection_TestsTheKeyInTheBox_NotTheKeyInUse()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false, withSettings: true);
        var keys = host.Get<KlaviyoKeyService>();

        // The key in use is valid; what is typed is not: the answer must be about what is typed.
        var malformed = await keys.TestAsync("not-a-key", _none);
        var rejected = await keys.TestAsync("pk_typed_but_wrong_0123456789", _none);
        var typedValid = await keys.TestAsync($"  {host.Sandbox.ApiKey}  ", _none);

        Assert.False(malformed.Succeeded);
        Assert.Contains("was not sent to Klaviyo", malformed.Message, StringComparison.Ordinal);
        Assert.Contains("start with 'pk_'", malformed.Message, StringComparison.Ordinal);
        Assert.False(rejected.Succeeded);
        Assert.Contains("The key in the box: Klaviyo rejected the API key", rejected.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("pk_typed_but_wrong", rejected.Message, StringComparison.Ordinal);
        Assert.True(typedValid.Succeeded, typedValid.Message);
        Assert.Contains(host.Store.OrganizationName, typedValid.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TestConnection_WithAnEmptyBox_TestsTheKeyInUse_AndSaysSo()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false, withSettings: true);

        var result = await host.Get<KlaviyoKeyService>().TestAsync("   ", _none);

        Assert.True(result.Succeeded, result.Message);
        Assert.StartsWith("The key box is empty, so this tested the key in use (Klaviyo:ApiKey from configuration).", result.Message, StringComparison.Ordinal);
        Assert.Contains(host.Store.OrganizationName, result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveKey_KlaviyoRejectsIt_IsRefusedWithTheReason_AndNothingIsSaved()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false, withSettings: true);
        var changes = Record(host);

        var result = await host.Get<KlaviyoKeyService>().SaveKeyAsync("pk_revoked_or_mistyped_0123456789", _none);

        Assert.False(result.Succeeded);
        var reason = Assert.Single(result.Errors);
        Assert.StartsWith("Not saved: Klaviyo rejected the API key", reason, StringComparison.Ordinal);
        Assert.Null(host.Get<KlaviyoApiKeySettings>().Stored);
        Assert.Empty(changes);
    }

    [Fact]
    public async Task SaveKey_KlaviyoAcceptsIt_IsSaved_AndTheAccountIsKnownAndAnnouncedAtOnce()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false, withSettings: true);
        host.Store.OrganizationName = "Acme Outdoor";
        var changes = Record(host);
        var keys = host.Get<KlaviyoKeyService>();
        Assert.Null(keys.CurrentAccount);

        var result = await keys.SaveKeyAsync(host.Sandbox.ApiKey, _none);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(host.Sandbox.ApiKey, host.Get<KlaviyoApiKeySettings>().Stored);
        Assert.Equal("Acme Outdoor", keys.CurrentAccount?.OrganizationName);
        Assert.True(await CoreTestHost.WaitUntilAsync(() => Task.FromResult(!changes.IsEmpty), TimeSpan.FromSeconds(5)), "no KlaviyoConnectionChanged published");
    }

    [Fact]
    public async Task SaveKey_KlaviyoUnreachable_IsRefusedWithTheReason_AfterOnlyTheBriefRetries()
    {
        await using var host = await CoreTestHost.StartAsync(startScheduler: false, withSettings: true);
        var closed = ClosedPort.Url();
        var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        configuration["Klaviyo:BaseUrl"] = closed.ToString();
        configuration.Reload();

        var result = await host.Get<KlaviyoKeyService>().SaveKeyAsync("pk_a_key_nobody_could_check_0123", _none);

        Assert.False(result.Succeeded);
        var reason = Assert.Single(result.Errors);
        Assert.Contains($"could not reach Klaviyo at {closed.Authority} (the connection was refused)", reason, StringComparison.Ordinal);
        Assert.Contains("Settings", reason, StringComparison.Ordinal);
        Assert.Null(host.Get<KlaviyoApiKeySettings>().Stored);
        // A refused connection is retried briefly, not for the minutes a timeout or a 5xx gets.
        Assert.Equal(KlaviyoServiceCollectionExtensions.ConnectFailureRetryAttempts, host.Get<KlaviyoClientStats>().For(KlaviyoEndpoints.GetAccounts.Key).Retries);
    }

    private static System.Collections.Concurrent.ConcurrentQueue<ChangeEvent> Record(CoreTestHost host)
    {
        var changes = new System.Collections.Concurrent.ConcurrentQueue<ChangeEvent>();
        // Held by the host's notifier for the test's lifetime; the host is disposed with the test.
        _ = host.Get<IChangeNotifier>().Subscribe(change =>
        {
            if (change is KlaviyoConnectionChanged)
            {
                changes.Enqueue(change);
            }
            return Task.CompletedTask;
        });
        return changes;
    }
}
