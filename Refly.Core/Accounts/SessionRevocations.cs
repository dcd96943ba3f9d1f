using System.Collections.Concurrent;

namespace Refly.Core.Accounts;

/// <summary>
/// The security stamps this process changed (sign-out, password change, role change, disable, removal), so a sign-in
/// cookie carrying an older stamp is refused on its very next request instead of at the next periodic stamp check
/// against the database (which still catches changes made by another process).
/// </summary>
public sealed class SessionRevocations
{
    private readonly ConcurrentDictionary<string, string?> _currentStamps = new(StringComparer.Ordinal);

    /// <summary>Records <paramref name="userId"/>'s new stamp; null when the user was removed.</summary>
    public void StampChanged(string userId, string? currentStamp) => _currentStamps[userId] = currentStamp;

    /// <summary>Whether a session of <paramref name="userId"/> with <paramref name="presentedStamp"/> has been ended here.</summary>
    public bool IsRevoked(string? userId, string? presentedStamp) =>
        userId is not null && _currentStamps.TryGetValue(userId, out var current) && !string.Equals(current, presentedStamp, StringComparison.Ordinal);
}
