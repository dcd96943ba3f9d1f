using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Logging;

namespace Refly.Core.Accounts;

/// <summary>How a sign-in ended; <see cref="Message"/> is what the form shows.</summary>
public sealed record SignInOutcome(bool Succeeded, string? Message)
{
    public static SignInOutcome Success { get; } = new(true, null);

    /// <summary>The same words for an unknown address and a wrong password, so the answer tells nothing about accounts.</summary>
    public static SignInOutcome WrongCredentials { get; } = new(false, "The e-mail address or password is wrong.");

    public static SignInOutcome Throttled { get; } = new(false,
        "Too many failed sign-ins for this e-mail address from your network. Wait a few minutes and try again, or ask an admin to unlock it.");

    /// <summary>Only said to someone who gave the right password.</summary>
    public static SignInOutcome Disabled { get; } = new(false, "This account is disabled. Ask an admin to enable it.");
}

/// <summary>
/// Password sign-in and sign-out for the sign-in form (scoped: it signs in on the current HTTP response). Unknown and
/// known e-mail addresses take the same path: a throttle check, one password hash verification (against a dummy hash
/// when there is no account), the same answer; a disabled account is only revealed to the right password.
/// </summary>
public sealed class SignInService(
    UserManager<IdentityUser> users,
    SignInManager<IdentityUser> signIn,
    IPasswordHasher<IdentityUser> hasher,
    SignInThrottle throttle,
    SessionRevocations revocations,
    ILogger<SignInService> logger)
{
    private static readonly IdentityUser _dummyUser = new() { UserName = "no-such-user@refly.invalid" };
    private static string? _dummyHash;

    /// <summary>Checks the password and, when right, issues the sign-in cookie. <paramref name="client"/> is the client's address.</summary>
    public async Task<SignInOutcome> PasswordSignInAsync(string email, string password, string? client)
    {
        email = email.Trim();
        if (!throttle.IsAllowed(email, client))
        {
            logger.LogWarning("Sign-in refused: too many failed attempts for one e-mail address from {Client}", client);
            return SignInOutcome.Throttled;
        }
        var user = await users.FindByEmailAsync(email);
        bool passwordMatches;
        if (user is null)
        {
            // The same PBKDF2 work as a real check, so the answer's timing does not tell the address has no account.
            _dummyHash ??= hasher.HashPassword(_dummyUser, Guid.NewGuid().ToString("N"));
            hasher.VerifyHashedPassword(_dummyUser, _dummyHash, password);
            passwordMatches = false;
        }
        else
        {
            passwordMatches = await users.CheckPasswordAsync(user, password);
        }
        if (!passwordMatches)
        {
            throttle.RecordFailure(email, client);
            logger.LogInformation("Sign-in failed from {Client}", client);
            return SignInOutcome.WrongCredentials;
        }
        // Only an admin's disable refuses the right password: failed attempts never lock an account (SignInThrottle).
        if (AccountService.IsDisabled(user!))
        {
            return SignInOutcome.Disabled;
        }
        await signIn.SignInAsync(user!, isPersistent: false);
        return SignInOutcome.Success;
    }

    /// <summary>
    /// Signs out and changes the user's security stamp, which ends every session of the user: a copy of the cookie
    /// replayed later is refused (pages and Blazor circuits).
    /// </summary>
    public async Task SignOutAsync(ClaimsPrincipal principal)
    {
        if (await users.GetUserAsync(principal) is { } user)
        {
            await users.UpdateSecurityStampAsync(user);
            revocations.StampChanged(user.Id, await users.GetSecurityStampAsync(user));
        }
        await signIn.SignOutAsync();
    }

    /// <summary>
    /// A new cookie (with the new stamp) for the current session after the user changed their own password; the old
    /// cookie, and every other session, stay ended.
    /// </summary>
    public async Task SignInAgainAsync(ClaimsPrincipal principal)
    {
        if (await users.GetUserAsync(principal) is { } user)
        {
            await signIn.SignInAsync(user, isPersistent: false);
        }
    }
}
