using System.Collections.Concurrent;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// Which audience ids are lists and which are segments, with their profile counts, cached for a few minutes.
/// Campaign audiences mix both kinds of id, and Klaviyo allows only 1 request a second and 15 a minute when asking
/// for profile_count: without the cache a few runs and Personalize dialogs in a row would wait minutes for it.
/// </summary>
public sealed class GroupDirectory(IKlaviyoClient klaviyo, TimeProvider time)
{
    private static readonly TimeSpan _lifetime = TimeSpan.FromMinutes(10);
    private readonly ConcurrentDictionary<string, (KlaviyoGroup? Group, DateTimeOffset At)> _cache = new(StringComparer.Ordinal);

    /// <summary>The list or segment with this id (with its profile count), or null when Klaviyo has neither.</summary>
    public async Task<KlaviyoGroup?> ResolveAsync(string groupId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_cache.TryGetValue(groupId, out var cached) && now - cached.At < _lifetime)
        {
            return cached.Group;
        }
        var group = await klaviyo.GetGroupAsync(new KlaviyoGroupRef(KlaviyoGroupKind.List, groupId), cancellationToken)
            ?? await klaviyo.GetGroupAsync(new KlaviyoGroupRef(KlaviyoGroupKind.Segment, groupId), cancellationToken);
        _cache[groupId] = (group, now);
        return group;
    }
}
