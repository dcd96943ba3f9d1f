using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;

namespace Refly.KlaviyoSandbox.Store;

/// <summary>
/// The account's private API keys. Klaviyo lets an account create several (one per integration), and every one of them
/// draws on the same per-account rate limits; tests issue extra keys to play the account's other integrations.
/// </summary>
public sealed partial class SandboxStore
{
    private ImmutableArray<byte[]> _privateKeys = [];

    /// <summary>Creates a new private key for this account (random <c>pk_</c> + hex) and accepts it from now on.</summary>
    public string IssuePrivateKey()
    {
        var key = "pk_" + Convert.ToHexString(RandomNumberGenerator.GetBytes(17)).ToLowerInvariant();
        ImmutableInterlocked.Update(ref _privateKeys, keys => keys.Add(Encoding.UTF8.GetBytes(key)));
        return key;
    }

    /// <summary>Whether <paramref name="key"/> is one of the account's keys (compared in constant time).</summary>
    internal bool IsPrivateKey(string key)
    {
        var candidate = Encoding.UTF8.GetBytes(key);
        var found = false;
        foreach (var known in _privateKeys)
        {
            // No early exit: the time taken does not tell which key (or how much of one) matched.
            found |= CryptographicOperations.FixedTimeEquals(candidate, known);
        }
        return found;
    }
}
