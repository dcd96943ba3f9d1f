using System.Collections.Concurrent;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>
/// Lists, segments and profiles. Generated profiles are computed on demand from their index; only profiles that
/// were written to (or added explicitly) are held, so a 200,000-profile list costs a few bytes.
/// </summary>
public sealed partial class SandboxStore
{
    // Explicit profiles get indices far above any generated range, so the two never collide.
    private const long ExplicitIndexBase = 1_000_000_000_000;

    private readonly ConcurrentDictionary<string, SandboxGroup> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, SandboxProfile> _written = new();
    private readonly ConcurrentDictionary<string, long> _emailIndex = new(StringComparer.OrdinalIgnoreCase);
    private long _nextGeneratedStart;
    private long _nextExplicitIndex = ExplicitIndexBase;

    /// <summary>
    /// Adds a list (or segment) of <paramref name="size"/> generated profiles. <paramref name="startIndex"/> lets groups
    /// share profiles (overlap); by default each group gets fresh profiles.
    /// </summary>
    public SandboxGroup AddGroup(SandboxGroupKind kind, string name, long size, long? startIndex = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        var start = startIndex ?? Interlocked.Add(ref _nextGeneratedStart, size) - size;
        if (startIndex is { } s)
        {
            // Keep fresh ranges clear of a range placed by hand.
            long current;
            while ((current = Interlocked.Read(ref _nextGeneratedStart)) < s + size &&
                   Interlocked.CompareExchange(ref _nextGeneratedStart, s + size, current) != current)
            {
            }
        }
        var now = Now;
        // Spread joins over the last ~90 days, one step per member, so joined_group_at is unique and ordered.
        var step = size == 0 ? TimeSpan.FromMinutes(1) : TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, TimeSpan.FromDays(90).Ticks / size));
        var id = kind == SandboxGroupKind.List ? NewId()[..6] : NewId()[..6].ToLowerInvariant();
        var group = new SandboxGroup
        {
            Id = id, Kind = kind, Name = name, GeneratedStart = start, GeneratedCount = size,
            JoinedStep = step, JoinedBase = now - step * (size + 1) - TimeSpan.FromDays(1), Created = now - TimeSpan.FromDays(120),
        };
        _groups[group.Id] = group;
        return group;
    }

    public SandboxGroup AddList(string name, long size, long? startIndex = null) => AddGroup(SandboxGroupKind.List, name, size, startIndex);

    public SandboxGroup AddSegment(string name, long size, long? startIndex = null) => AddGroup(SandboxGroupKind.Segment, name, size, startIndex);

    /// <summary>Adds explicit profiles to a group (after its generated members); returns their ids.</summary>
    public IReadOnlyList<string> AddProfilesToGroup(string groupId, IEnumerable<ProfileSeed> profiles)
    {
        var group = GetGroup(groupId) ?? throw new KeyNotFoundException($"Group {groupId} does not exist in the sandbox.");
        var ids = new List<string>();
        foreach (var seed in profiles)
        {
            var profile = AddProfile(seed);
            AddMember(group, profile.Index);
            ids.Add(profile.Id);
        }
        return ids;
    }

    /// <summary>Adds a profile that belongs to no group (or reuses the one with that email).</summary>
    public SandboxProfile AddProfile(ProfileSeed seed)
    {
        if (FindProfileIndexByEmail(seed.Email) is { } existing)
        {
            return GetProfile(existing)!;
        }
        var index = Interlocked.Increment(ref _nextExplicitIndex);
        var now = Now;
        var profile = new SandboxProfile
        {
            Id = ProfileGenerator.IdFor(index), Index = index, Email = seed.Email, FirstName = seed.FirstName, LastName = seed.LastName,
            City = seed.City, Country = seed.Country, Created = now, Updated = now,
            Properties = seed.Properties is null ? new(StringComparer.Ordinal) : new Dictionary<string, object?>(seed.Properties, StringComparer.Ordinal),
        };
        _written[index] = profile;
        _emailIndex[seed.Email] = index;
        return profile.Clone();
    }

    /// <summary>Groups the profile belongs to (for include=lists/segments on a profile).</summary>
    public IReadOnlyList<SandboxGroup> GroupsOf(string profileId, SandboxGroupKind kind) =>
        ProfileGenerator.TryParseId(profileId, out var index) ? GetGroups(kind).Where(g => g.PositionOf(index) >= 0).ToList() : [];

    private static void AddMember(SandboxGroup group, long index)
    {
        lock (group.ExplicitMembers)
        {
            if (group.PositionOf(index) < 0)
            {
                group.ExplicitMembers.Add(index);
            }
        }
    }

    public SandboxGroup? GetGroup(string id) => _groups.GetValueOrDefault(id);

    public IReadOnlyList<SandboxGroup> GetGroups(SandboxGroupKind kind) =>
        _groups.Values.Where(g => g.Kind == kind).OrderBy(g => g.Created).ThenBy(g => g.Id, StringComparer.Ordinal).ToList();

    /// <summary>A copy of the profile as served now (generated values overlaid with writes), or null.</summary>
    public SandboxProfile? GetProfile(string id) => ProfileGenerator.TryParseId(id, out var index) ? GetProfile(index) : null;

    /// <summary>The profile's custom properties as they are now (what bulk imports wrote).</summary>
    public IReadOnlyDictionary<string, object?> GetProfileProperties(string id) =>
        GetProfile(id)?.Properties ?? throw new KeyNotFoundException($"Profile {id} does not exist in the sandbox.");

    /// <summary>Sets (or, with a null value, removes) custom properties as if a bulk import had completed.</summary>
    public void SetProfileProperties(string id, IReadOnlyDictionary<string, object?> properties)
    {
        if (GetProfile(id) is not { } profile)
        {
            throw new KeyNotFoundException($"Profile {id} does not exist in the sandbox.");
        }
        UpsertProfile(profile.Index, null, p =>
        {
            foreach (var (name, value) in properties)
            {
                if (value is null)
                {
                    p.Properties.Remove(name);
                }
                else
                {
                    p.Properties[name] = value;
                }
            }
        });
    }

    /// <summary>Number of profiles that hold written state (generated profiles cost nothing until written).</summary>
    public int WrittenProfileCount => _written.Count;

    internal SandboxProfile? GetProfile(long index)
    {
        if (_written.TryGetValue(index, out var written))
        {
            lock (written)
            {
                return written.Clone();
            }
        }
        return index >= 0 && index < Interlocked.Read(ref _nextGeneratedStart) ? ProfileGenerator.Generate(Seed, index, Epoch) : null;
    }

    /// <summary>Served without a copy for pages; callers must not mutate.</summary>
    internal SandboxProfile ProfileForPage(long index)
    {
        if (_written.TryGetValue(index, out var written))
        {
            lock (written)
            {
                return written.Clone();
            }
        }
        return ProfileGenerator.Generate(Seed, index, Epoch);
    }

    internal long? FindProfileIndexByEmail(string email)
    {
        if (_emailIndex.TryGetValue(email, out var index))
        {
            return index;
        }
        if (ProfileGenerator.TryParseEmail(email, out index) && index < Interlocked.Read(ref _nextGeneratedStart))
        {
            // The profile may have been written since (by id); its current email decides.
            var current = _written.TryGetValue(index, out var written) ? written.Email : ProfileGenerator.Generate(Seed, index, Epoch).Email;
            if (string.Equals(current, email, StringComparison.OrdinalIgnoreCase))
            {
                return index;
            }
        }
        return null;
    }

    /// <summary>Applies one profile of a bulk import: creates it if new, sets properties, unsets names.</summary>
    internal string UpsertProfile(long? index, string? email, Action<SandboxProfile> change)
    {
        var now = Now;
        long target;
        // Resolve the email when the job applies, not when it was posted, so two jobs for a new email make one profile.
        index ??= email is null ? null : FindProfileIndexByEmail(email);
        if (index is { } known)
        {
            target = known;
        }
        else
        {
            target = Interlocked.Increment(ref _nextExplicitIndex);
            var created = new SandboxProfile { Id = ProfileGenerator.IdFor(target), Index = target, Email = email, Created = now, Updated = now };
            _written.TryAdd(target, created);
        }
        var profile = _written.GetOrAdd(target, i => ProfileGenerator.Generate(Seed, i, Epoch));
        lock (profile)
        {
            var oldEmail = profile.Email;
            change(profile);
            profile.Updated = now;
            if (profile.Email is not null && !string.Equals(oldEmail, profile.Email, StringComparison.OrdinalIgnoreCase))
            {
                _emailIndex[profile.Email] = target;
            }
        }
        if (email is not null)
        {
            _emailIndex[email] = target;
        }
        return profile.Id;
    }

    /// <summary>Recipients of a campaign: union of included groups minus excluded ones (exact for ranges and explicit members).</summary>
    public long EstimateRecipients(string campaignId)
    {
        var campaign = GetCampaign(campaignId) ?? throw new KeyNotFoundException(campaignId);
        var included = campaign.Included.Select(GetGroup).OfType<SandboxGroup>().ToList();
        var excluded = campaign.Excluded.Select(GetGroup).OfType<SandboxGroup>().ToList();
        var ranges = Merge(included.Where(g => g.GeneratedCount > 0).Select(g => (g.GeneratedStart, g.GeneratedStart + g.GeneratedCount)));
        var minus = Merge(excluded.Where(g => g.GeneratedCount > 0).Select(g => (g.GeneratedStart, g.GeneratedStart + g.GeneratedCount)));
        var count = 0L;
        foreach (var (from, to) in ranges)
        {
            count += to - from;
            foreach (var (xFrom, xTo) in minus)
            {
                count -= Math.Max(0, Math.Min(to, xTo) - Math.Max(from, xFrom));
            }
        }
        var explicitIncluded = new HashSet<long>();
        foreach (var g in included)
        {
            lock (g.ExplicitMembers)
            {
                explicitIncluded.UnionWith(g.ExplicitMembers);
            }
        }
        foreach (var g in excluded)
        {
            lock (g.ExplicitMembers)
            {
                explicitIncluded.ExceptWith(g.ExplicitMembers);
            }
        }
        return count + explicitIncluded.Count;
    }

    private static List<(long From, long To)> Merge(IEnumerable<(long From, long To)> ranges)
    {
        var merged = new List<(long From, long To)>();
        foreach (var r in ranges.OrderBy(r => r.From))
        {
            if (merged.Count > 0 && r.From <= merged[^1].To)
            {
                merged[^1] = (merged[^1].From, Math.Max(merged[^1].To, r.To));
            }
            else
            {
                merged.Add(r);
            }
        }
        return merged;
    }
}
