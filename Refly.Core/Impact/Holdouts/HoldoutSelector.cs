using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Refly.Core.Impact.Holdouts;

/// <summary>
/// Which contacts of a run are held out (keep the original content): SHA-256 of "run id:profile id" mapped to [0, 1)
/// and compared with the share. Deterministic, so a resumed run (another process, another machine) holds out the same
/// contacts without remembering anything, and independent per run, so one contact is not held out of every campaign.
/// </summary>
public static class HoldoutSelector
{
    /// <summary>The largest share a run may hold out.</summary>
    public const double MaxShare = 0.5;

    /// <summary>The contact's position in [0, 1) for the run.</summary>
    public static double PositionOf(Guid runId, string profileId)
    {
        ArgumentNullException.ThrowIfNull(profileId);
        // "D" format, lower case: the same text whatever the platform.
        var text = string.Concat(runId.ToString("D"), ":", profileId);
        Span<byte> utf8 = text.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(text.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(text.Length)];
        var length = Encoding.UTF8.GetBytes(text, utf8);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], hash);
        // The top 53 bits: every double in [0, 1) that the mapping yields is exact.
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>True when the run holds the contact out at <paramref name="share"/> (0 holds nobody out).</summary>
    public static bool IsHeldOut(Guid runId, string profileId, double share) =>
        share > 0 && PositionOf(runId, profileId) < share;
}
