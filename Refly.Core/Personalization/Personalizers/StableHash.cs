namespace Refly.Core.Personalization;

/// <summary>Hashes that stay the same across processes and machines (unlike <see cref="string.GetHashCode()"/>).</summary>
public static class StableHash
{
    /// <summary>32-bit FNV-1a over the UTF-16 code units of <paramref name="value"/>.</summary>
    public static uint Fnv1a32(ReadOnlySpan<char> value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = (hash ^ (c & 0xFFu)) * 16777619u;
            hash = (hash ^ (uint)(c >> 8)) * 16777619u;
        }

        return hash;
    }

    /// <summary>64-bit FNV-1a over <paramref name="first"/>, a separator, and <paramref name="second"/>.</summary>
    public static ulong Fnv1a64(ReadOnlySpan<char> first, ReadOnlySpan<char> second)
    {
        var hash = 14695981039346656037ul;
        hash = Mix(hash, first);
        hash = (hash ^ 0x1Fu) * 1099511628211ul;
        return Mix(hash, second);

        static ulong Mix(ulong h, ReadOnlySpan<char> s)
        {
            foreach (var c in s)
            {
                h = (h ^ (c & 0xFFu)) * 1099511628211ul;
                h = (h ^ (uint)(c >> 8)) * 1099511628211ul;
            }

            return h;
        }
    }
}
