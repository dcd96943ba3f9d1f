using System.Collections.Frozen;
using Microsoft.AspNetCore.Identity;

namespace Refly.Core.Accounts;

/// <summary>
/// What a password must be: at least <see cref="MinimumLength"/> characters and not guessable from a list of common
/// passwords. No composition rules (a digit, a capital): length and a blocklist are what stop guessing (NIST SP 800-63B).
/// </summary>
public static class PasswordRules
{
    /// <summary>Shortest password accepted.</summary>
    public const int MinimumLength = 12;

    /// <summary>Fewest distinct characters: refuses "aaaaaaaaaaaa" and "121212121212".</summary>
    public const int MinimumDistinctCharacters = 4;

    /// <summary>The words for the rules, as the forms show them.</summary>
    public static string Description { get; } =
        $"at least {MinimumLength} characters; not a common password, and not one with only digits or symbols added to one";

    private static readonly Lazy<FrozenSet<string>> _common = new(LoadCommonPasswords);

    /// <summary>Number of entries in the shipped list (Openwall's public-domain common-passwords list).</summary>
    public static int CommonPasswordCount => _common.Value.Count;

    /// <summary>
    /// Whether <paramref name="password"/> is a listed common password, ignoring case, also with digits, symbols or
    /// spaces before or after it ("password12", "Dragon2024!"), repeated ("monkeymonkey"), or made only of digits and
    /// symbols: the first guesses of any cracking tool.
    /// </summary>
    public static bool IsCommon(string password)
    {
        var lower = password.ToLowerInvariant();
        var list = _common.Value;
        if (list.Contains(lower))
        {
            return true;
        }
        var core = lower.AsSpan().Trim(" 0123456789!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~");
        if (core.IsEmpty || list.Contains(core.ToString()))
        {
            return true;
        }
        return IsRepeatedCommonWord(core.ToString(), list);
    }

    private static bool IsRepeatedCommonWord(string core, FrozenSet<string> list)
    {
        for (var length = 1; length <= core.Length / 2; length++)
        {
            if (core.Length % length != 0)
            {
                continue;
            }
            var unit = core[..length];
            if (string.Concat(Enumerable.Repeat(unit, core.Length / length)) == core && (list.Contains(unit) || unit.Length < 3))
            {
                return true;
            }
        }
        return false;
    }

    private static FrozenSet<string> LoadCommonPasswords()
    {
        using var stream = typeof(PasswordRules).Assembly.GetManifestResourceStream("Refly.Accounts.CommonPasswords.txt")
            ?? throw new InvalidOperationException("The common-passwords list is not embedded in Refly.Core.");
        using var reader = new StreamReader(stream);
        var entries = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            // "#!comment:" lines carry the list's origin and licence.
            if (line.Length > 0 && !line.StartsWith("#!comment:", StringComparison.Ordinal))
            {
                entries.Add(line.ToLowerInvariant());
            }
        }
        return entries.ToFrozenSet(StringComparer.Ordinal);
    }
}

/// <summary>Identity's hook for <see cref="PasswordRules.IsCommon"/>.</summary>
public sealed class CommonPasswordValidator : IPasswordValidator<IdentityUser>
{
    public const string CommonCode = "PasswordCommon";

    public Task<IdentityResult> ValidateAsync(UserManager<IdentityUser> manager, IdentityUser user, string? password)
    {
        if (string.IsNullOrEmpty(password))
        {
            return Task.FromResult(IdentityResult.Success);
        }
        return Task.FromResult(PasswordRules.IsCommon(password)
            ? IdentityResult.Failed(new IdentityError
            {
                Code = CommonCode,
                Description = "This password is too easy to guess: it is a common password (or one with digits or symbols added). Choose another.",
            })
            : IdentityResult.Success);
    }
}
