using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Notifications;
using Refly.Core.Settings;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The Klaviyo key a marketer types in Settings: "Test connection" tests that key (the key in use only when the box is
/// empty, and it says so), a save checks it with Klaviyo first and refuses a key Klaviyo rejects or cannot be asked
/// about, and the account reached is remembered for the app bar, which hears of every change through
/// <see cref="IChangeNotifier"/> (<see cref="KlaviyoConnectionChanged"/>).
/// </summary>
/// <remarks>
/// A typed key is checked at <c>Klaviyo:BaseUrl</c>, where a key saved in Settings is used (also in demo mode, whose
/// sandbox only answers to its own key). The key is never logged.
/// </remarks>
public sealed class KlaviyoKeyService(
    KlaviyoConnectionTester tester,
    IKlaviyoConnection connection,
    SettingsService settings,
    KlaviyoApiKeySettings savedKey,
    IOptionsMonitor<KlaviyoOptions> options,
    IChangeNotifier notifier,
    TimeProvider time,
    ILogger<KlaviyoKeyService> logger)
{
    /// <summary>How long after a failed look-up of the account in use <see cref="EnsureAccountKnownAsync"/> asks again.</summary>
    public static readonly TimeSpan LookupRetryDelay = TimeSpan.FromMinutes(1);

    private static readonly KlaviyoApiKeyValidator _keyValidator = new();
    private readonly SemaphoreSlim _lookup = new(1, 1);
    private volatile KnownAccount? _known;
    private DateTimeOffset _lastFailedLookup = DateTimeOffset.MinValue;

    /// <summary>The account of the key in use, once known (after a save, a test or <see cref="EnsureAccountKnownAsync"/>); else null.</summary>
    public KlaviyoAccount? CurrentAccount => _known is { } known && known.Matches(connection) ? known.Account : null;

    /// <summary>
    /// Tests <paramref name="typedKey"/> (trimmed) at <c>Klaviyo:BaseUrl</c>; when it is empty, tests the key in use and
    /// says so. A malformed key is refused without asking Klaviyo.
    /// </summary>
    public async Task<ConnectionTestResult> TestAsync(string? typedKey, CancellationToken cancellationToken)
    {
        var key = typedKey?.Trim() ?? "";
        if (key.Length == 0)
        {
            var inUse = await tester.TestAsync(cancellationToken);
            if (inUse.Account is { } account)
            {
                Remember(connection, account);
            }
            return inUse with { Message = $"The key box is empty, so this tested the key in use ({KeyInUseSource()}). {inUse.Message}" };
        }

        var format = await _keyValidator.ValidateAsync(key, cancellationToken);
        if (!format.IsValid)
        {
            return new ConnectionTestResult(false, $"The key in the box was not sent to Klaviyo: {format.Errors[0].ErrorMessage}");
        }
        var result = await tester.TestAsync(Candidate(key), cancellationToken);
        return result with { Message = $"The key in the box: {result.Message}" };
    }

    /// <summary>
    /// Saves <paramref name="typedKey"/> once Klaviyo accepted it (GET /api/accounts with it); a key Klaviyo rejects, or
    /// cannot be asked about, is refused with the reason and nothing changes. The app bar shows the account at once.
    /// </summary>
    public async Task<SettingsResult> SaveKeyAsync(string? typedKey, CancellationToken cancellationToken)
    {
        var key = typedKey?.Trim() ?? "";
        var format = await _keyValidator.ValidateAsync(key, cancellationToken);
        if (!format.IsValid)
        {
            return new SettingsResult(false, format.Errors.Select(e => e.ErrorMessage).ToList());
        }

        var candidate = Candidate(key);
        var check = await tester.TestAsync(candidate, cancellationToken);
        if (!check.Succeeded || check.Account is null)
        {
            logger.LogInformation("Klaviyo API key not saved: the check with Klaviyo failed");
            return new SettingsResult(false, [$"Not saved: {check.Message}"]);
        }

        var saved = await settings.SaveAsync(savedKey, key, cancellationToken);
        if (saved.Succeeded)
        {
            Remember(candidate, check.Account);
            notifier.Publish(new KlaviyoConnectionChanged());
        }
        return saved;
    }

    /// <summary>Forgets the saved key (configuration or the demo sandbox applies again) and tells the app bar.</summary>
    public async Task RemoveKeyAsync(CancellationToken cancellationToken)
    {
        await settings.ResetAsync(savedKey, cancellationToken);
        notifier.Publish(new KlaviyoConnectionChanged());
    }

    /// <summary>
    /// Looks up the account of the key in use when it is not known yet (one request at a time; after a failure, not again
    /// for <see cref="LookupRetryDelay"/>). Publishes <see cref="KlaviyoConnectionChanged"/> when it learnt the account.
    /// </summary>
    public async Task<KlaviyoAccount?> EnsureAccountKnownAsync(CancellationToken cancellationToken)
    {
        if (CurrentAccount is { } known)
        {
            return known;
        }
        await _lookup.WaitAsync(cancellationToken);
        try
        {
            if (CurrentAccount is { } meanwhile)
            {
                return meanwhile;
            }
            if (time.GetUtcNow() - _lastFailedLookup < LookupRetryDelay)
            {
                return null;
            }
            var target = new KlaviyoCredentials(connection.BaseUrl, connection.ApiKey);
            var result = await tester.TestAsync(target, cancellationToken);
            if (result.Account is not { } account)
            {
                _lastFailedLookup = time.GetUtcNow();
                return null;
            }
            Remember(target, account);
            notifier.Publish(new KlaviyoConnectionChanged());
            return account;
        }
        finally
        {
            _lookup.Release();
        }
    }

    /// <summary>Where the key in use comes from, in the words of the Settings page.</summary>
    private string KeyInUseSource() =>
        savedKey.Stored is not null ? "saved here"
        : !string.IsNullOrWhiteSpace(options.CurrentValue.ApiKey) ? "Klaviyo:ApiKey from configuration"
        : "the built-in demo sandbox";

    private KlaviyoCredentials Candidate(string key) => new(new Uri(options.CurrentValue.BaseUrl, UriKind.Absolute), key);

    private void Remember(IKlaviyoConnection target, KlaviyoAccount account) => _known = new KnownAccount(target.BaseUrl, target.ApiKey, account);

    private sealed record KnownAccount(Uri BaseUrl, string ApiKey, KlaviyoAccount Account)
    {
        public bool Matches(IKlaviyoConnection connection) =>
            BaseUrl == connection.BaseUrl && string.Equals(ApiKey, connection.ApiKey, StringComparison.Ordinal);

        public override string ToString() => $"KnownAccount {{ BaseUrl = {BaseUrl}, Account = {Account.Id} }}";
    }
}
