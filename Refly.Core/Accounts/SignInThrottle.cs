using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace Refly.Core.Accounts;

/// <summary>Options of the "Accounts:SignInThrottle" section.</summary>
public sealed class SignInThrottleOptions
{
    public const string SectionName = "Accounts:SignInThrottle";

    /// <summary>Sign-in, setup and password-change form posts one client address may send per <see cref="ClientWindow"/>.</summary>
    public int AttemptsPerClient { get; set; } = 20;

    public TimeSpan ClientWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Failed sign-ins for one e-mail address from one client address per <see cref="FailureWindow"/>.</summary>
    public int FailuresPerAccountAndClient { get; set; } = 5;

    /// <summary>
    /// Failed sign-ins for one e-mail address from all clients together per <see cref="FailureWindow"/>: only a guess
    /// spread over many addresses reaches it, since each address is held to <see cref="FailuresPerAccountAndClient"/>.
    /// </summary>
    public int FailuresPerAccount { get; set; } = 50;

    public TimeSpan FailureWindow { get; set; } = TimeSpan.FromMinutes(15);
}

/// <summary>
/// Holds back password guessing without letting anyone lock an account's owner out: failed sign-ins are counted per
/// e-mail address and client address, and per e-mail address over all clients with a much larger budget. A client
/// that used up its budget for an address is refused for it (the right password included) until the window passes,
/// while the owner signs in from anywhere else. An e-mail address without an account is counted exactly like one
/// with, so the answers never tell which addresses exist. State is in memory: a restart forgets it.
/// </summary>
public sealed class SignInThrottle : IDisposable
{
    private readonly SignInThrottleOptions _options;
    private readonly TimeProvider _time;
    private readonly PartitionedRateLimiter<string> _perAccountAndClient;
    private readonly PartitionedRateLimiter<string> _perAccount;
    // An admin's unlock starts new partitions: a rate limiter's partition cannot be emptied from outside.
    private readonly ConcurrentDictionary<string, int> _generations = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _pausedAt = new(StringComparer.Ordinal);

    public SignInThrottle(IOptions<SignInThrottleOptions> options, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        _perAccountAndClient = Create(_options.FailuresPerAccountAndClient);
        _perAccount = Create(_options.FailuresPerAccount);
    }

    /// <summary>Whether a sign-in for <paramref name="email"/> from <paramref name="client"/> may be tried now.</summary>
    public bool IsAllowed(string email, string? client)
    {
        var account = AccountKey(email);
        using var pair = _perAccountAndClient.AttemptAcquire(PairKey(account, client), 0);
        using var all = _perAccount.AttemptAcquire(account, 0);
        if (pair.IsAcquired && all.IsAcquired)
        {
            return true;
        }
        _pausedAt[Normalize(email)] = _time.GetUtcNow();
        return false;
    }

    /// <summary>Counts a failed sign-in (wrong password or unknown address alike).</summary>
    public void RecordFailure(string email, string? client)
    {
        var account = AccountKey(email);
        using var pair = _perAccountAndClient.AttemptAcquire(PairKey(account, client));
        using var all = _perAccount.AttemptAcquire(account);
        if (!pair.IsAcquired || !all.IsAcquired)
        {
            _pausedAt[Normalize(email)] = _time.GetUtcNow();
        }
        Prune();
    }

    /// <summary>Whether sign-ins for <paramref name="email"/> were held back within the last window (the Users page says so).</summary>
    public bool IsPaused(string email) =>
        _pausedAt.TryGetValue(Normalize(email), out var at) && _time.GetUtcNow() - at < _options.FailureWindow;

    /// <summary>An admin's unlock: every client may try <paramref name="email"/> again at once.</summary>
    public void Reset(string email)
    {
        var normalized = Normalize(email);
        _generations.AddOrUpdate(normalized, 1, (_, generation) => generation + 1);
        _pausedAt.TryRemove(normalized, out _);
    }

    private PartitionedRateLimiter<string> Create(int permits) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetSlidingWindowLimiter(key, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = Math.Max(1, permits),
            Window = _options.FailureWindow,
            SegmentsPerWindow = 5,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));

    private string AccountKey(string email)
    {
        var normalized = Normalize(email);
        return _generations.TryGetValue(normalized, out var generation) ? $"{normalized}#{generation}" : normalized;
    }

    private static string PairKey(string account, string? client) => $"{account}|{client ?? "unknown"}";

    private static string Normalize(string email) => email.Trim().ToUpperInvariant();

    private void Prune()
    {
        var cutoff = _time.GetUtcNow() - _options.FailureWindow;
        foreach (var (email, at) in _pausedAt)
        {
            if (at < cutoff)
            {
                _pausedAt.TryRemove(email, out _);
            }
        }
    }

    public void Dispose()
    {
        _perAccountAndClient.Dispose();
        _perAccount.Dispose();
    }
}
