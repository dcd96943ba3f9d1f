using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Refly.Core.Accounts;

namespace Refly.Dashboard.Accounts;

/// <summary>Options of the "Accounts" section the host reads.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Accounts";

    /// <summary>
    /// How often a sign-in cookie and an open Blazor circuit are checked against the user's security stamp in the
    /// database (a change made by this process is seen on the next request at once).
    /// </summary>
    public TimeSpan SessionValidationInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Identity's cookie check (security stamp against the database every <see cref="SessionOptions.SessionValidationInterval"/>),
/// preceded by <see cref="SessionRevocations"/>: a cookie whose stamp this process replaced (sign-out, password, role,
/// disable, removal) is refused on its next request, even within the interval.
/// </summary>
internal sealed class RevocationAwareSecurityStampValidator(
    IOptions<SecurityStampValidatorOptions> options,
    SignInManager<IdentityUser> signInManager,
    ILoggerFactory logger,
    IOptions<IdentityOptions> identity,
    SessionRevocations revocations)
    : SecurityStampValidator<IdentityUser>(options, signInManager, logger)
{
    public override async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is { } principal && IsRevoked(principal, identity.Value, revocations))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(IdentityConstants.ApplicationScheme);
            return;
        }
        await base.ValidateAsync(context);
    }

    public static bool IsRevoked(ClaimsPrincipal principal, IdentityOptions identity, SessionRevocations revocations) =>
        revocations.IsRevoked(
            principal.FindFirstValue(identity.ClaimsIdentity.UserIdClaimType),
            principal.FindFirstValue(identity.ClaimsIdentity.SecurityStampClaimType));
}

/// <summary>
/// An open Blazor circuit checks its user's security stamp every <see cref="SessionOptions.SessionValidationInterval"/>:
/// once the stamp changed (or the user was removed or disabled) the circuit's user is signed out and the page goes to
/// sign-in, so an ended session does not live on in a tab.
/// </summary>
internal sealed class IdentityRevalidatingAuthenticationStateProvider(
    ILoggerFactory loggerFactory,
    IServiceScopeFactory scopes,
    IOptions<IdentityOptions> identity,
    IOptions<SessionOptions> session,
    SessionRevocations revocations)
    : RevalidatingServerAuthenticationStateProvider(loggerFactory)
{
    // At least a second: the check loops for as long as the circuit lives, and a zero interval would spin.
    protected override TimeSpan RevalidationInterval => session.Value.SessionValidationInterval < TimeSpan.FromSeconds(1)
        ? TimeSpan.FromSeconds(1)
        : session.Value.SessionValidationInterval;

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        var principal = authenticationState.User;
        if (RevocationAwareSecurityStampValidator.IsRevoked(principal, identity.Value, revocations))
        {
            return false;
        }
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = await users.GetUserAsync(principal);
        if (user is null || AccountService.IsDisabled(user))
        {
            return false;
        }
        var stamp = principal.FindFirstValue(identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return string.Equals(stamp, await users.GetSecurityStampAsync(user), StringComparison.Ordinal);
    }
}
