using FluentValidation;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Refly.Core.Accounts;

/// <summary>A new user as the setup and Users pages submit it.</summary>
public sealed record NewUser(string Email, string Password, string Role);

/// <summary>
/// A user as the Users page lists it. <c>IsDisabled</c>: an admin disabled the account, it cannot sign in.
/// <c>IsSignInPaused</c>: failed sign-ins for this address were held back recently; an admin's unlock lifts that.
/// </summary>
public sealed record UserView(string Id, string Email, IReadOnlyList<string> Roles, bool IsDisabled, bool IsSignInPaused)
{
    public string Role => Roles.Count > 0 ? Roles[0] : "";
}

/// <summary>Validates <see cref="NewUser"/>: an e-mail address, a known role; password rules are Identity's.</summary>
public sealed class NewUserValidator : AbstractValidator<NewUser>
{
    public NewUserValidator()
    {
        RuleFor(u => u.Email).NotEmpty().MaximumLength(256).EmailAddress().WithMessage("Enter a valid e-mail address.");
        RuleFor(u => u.Password).NotEmpty().WithMessage("Enter a password.").MaximumLength(200);
        RuleFor(u => u.Role).Must(r => Roles.All.Contains(r)).WithMessage("Choose Admin or Marketer.");
    }
}

/// <summary>One reason a change was refused, with the form field it belongs to ("" for the form as a whole).</summary>
public sealed record AccountError(string Field, string Message);

/// <summary>Result of an account change: the reasons when refused, each with its field.</summary>
public sealed record AccountResult(bool Succeeded, IReadOnlyList<AccountError> FieldErrors)
{
    public const string EmailField = "Email";
    public const string PasswordField = "Password";
    public const string CurrentPasswordField = "CurrentPassword";
    public const string RoleField = "Role";

    public static AccountResult Ok { get; } = new(true, []);

    /// <summary>Every reason, whatever its field.</summary>
    public IReadOnlyList<string> Errors => FieldErrors.Select(e => e.Message).Distinct().ToList();

    /// <summary>The reasons that belong to <paramref name="field"/>.</summary>
    public IReadOnlyList<string> For(string field) => FieldErrors.Where(e => e.Field == field).Select(e => e.Message).Distinct().ToList();

    public static AccountResult Fail(params IEnumerable<string> errors) => new(false, errors.Select(e => new AccountError("", e)).ToList());

    public static AccountResult FailOn(string field, string message) => new(false, [new AccountError(field, message)]);

    internal static AccountResult From(IdentityResult result) =>
        new(result.Succeeded, result.Errors.Select(e => new AccountError(FieldOf(e.Code), e.Description)).ToList());

    private static string FieldOf(string code) => code switch
    {
        nameof(IdentityErrorDescriber.PasswordMismatch) => CurrentPasswordField,
        _ when code.StartsWith("Password", StringComparison.Ordinal) => PasswordField,
        _ when code.Contains("Email", StringComparison.Ordinal) || code.Contains("UserName", StringComparison.Ordinal) => EmailField,
        _ => "",
    };
}

/// <summary>
/// First-admin setup and user management. Whether any user exists is cached once true (the last admin can never be
/// removed), so the "redirect everything to /setup" check costs nothing after setup. Every change that lowers what a
/// user may do (password, role, disable, removal) changes their security stamp, which ends their sessions.
/// </summary>
public sealed class AccountService(IServiceScopeFactory scopes, SignInThrottle throttle, SessionRevocations revocations, ILogger<AccountService> logger)
{
    /// <summary>A disabled account's lock-out end: Identity refuses it for good.</summary>
    public static readonly DateTimeOffset DisabledUntil = DateTimeOffset.MaxValue;

    private const string LastAdminMessage = "This is the last admin: make another user an admin first.";

    private static readonly NewUserValidator _validator = new();
    private readonly SemaphoreSlim _setupLock = new(1, 1);
    private readonly SemaphoreSlim _changeLock = new(1, 1);
    private volatile bool _hasUsers;

    /// <summary>Whether <paramref name="user"/> was disabled by an admin.</summary>
    public static bool IsDisabled(IdentityUser user) => user.LockoutEnd is { } end && end.Year >= DisabledUntil.Year;

    /// <summary>Whether the first admin has been created.</summary>
    public async Task<bool> IsSetUpAsync(CancellationToken cancellationToken = default)
    {
        if (_hasUsers)
        {
            return true;
        }
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        _hasUsers = await db.Users.AnyAsync(cancellationToken);
        return _hasUsers;
    }

    /// <summary>Creates the first admin; refused once any user exists (two concurrent setups cannot both win).</summary>
    public async Task<AccountResult> CreateFirstAdminAsync(string email, string password, CancellationToken cancellationToken = default)
    {
        await _setupLock.WaitAsync(cancellationToken);
        try
        {
            if (await IsSetUpAsync(cancellationToken))
            {
                return AccountResult.Fail("Refly is already set up: sign in instead.");
            }
            var result = await CreateUserAsync(new NewUser(email, password, Roles.Admin), cancellationToken);
            if (result.Succeeded)
            {
                _hasUsers = true;
                logger.LogInformation("First admin created");
            }
            return result;
        }
        finally
        {
            _setupLock.Release();
        }
    }

    /// <summary>
    /// Every reason <paramref name="user"/> would be refused, each with its field, without creating anything: the
    /// e-mail address, the role and the password rules together, so a form shows all of them at once (not the
    /// password's only after the address is fixed). A taken address is known only on create.
    /// </summary>
    public async Task<AccountResult> ValidateNewUserAsync(NewUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        var validation = await _validator.ValidateAsync(user, cancellationToken);
        var errors = validation.Errors.Select(e => new AccountError(e.PropertyName, e.ErrorMessage)).ToList();
        if (!string.IsNullOrEmpty(user.Password) && errors.All(e => e.Field != AccountResult.PasswordField))
        {
            await using var scope = scopes.CreateAsyncScope();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            var candidate = new IdentityUser { UserName = user.Email?.Trim(), Email = user.Email?.Trim() };
            foreach (var validator in users.PasswordValidators)
            {
                var result = await validator.ValidateAsync(users, candidate, user.Password);
                if (!result.Succeeded)
                {
                    errors.AddRange(AccountResult.From(result).FieldErrors);
                }
            }
        }
        return errors.Count == 0 ? AccountResult.Ok : new AccountResult(false, errors.DistinctBy(e => (e.Field, e.Message)).ToList());
    }

    /// <summary>Creates a user with one role.</summary>
    public async Task<AccountResult> CreateUserAsync(NewUser user, CancellationToken cancellationToken = default)
    {
        var validation = await ValidateNewUserAsync(user, cancellationToken);
        if (!validation.Succeeded)
        {
            return validation;
        }
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var roles = scope.ServiceProvider.GetRequiredService<RoleManager<IdentityRole>>();
        foreach (var role in Roles.All)
        {
            if (!await roles.RoleExistsAsync(role))
            {
                await roles.CreateAsync(new IdentityRole(role));
            }
        }
        var identityUser = new IdentityUser { UserName = user.Email.Trim(), Email = user.Email.Trim(), EmailConfirmed = true };
        var created = await users.CreateAsync(identityUser, user.Password);
        if (!created.Succeeded)
        {
            // Identity reports a taken address twice (user name and e-mail): once is enough.
            return AccountResult.From(IdentityResult.Failed(created.Errors.DistinctBy(e => e.Code.Replace("UserName", "Email", StringComparison.Ordinal)).ToArray()));
        }
        var added = await users.AddToRoleAsync(identityUser, user.Role);
        if (!added.Succeeded)
        {
            await users.DeleteAsync(identityUser);
            return AccountResult.From(added);
        }
        _hasUsers = true;
        return AccountResult.Ok;
    }

    /// <summary>All users with their roles and state.</summary>
    public async Task<IReadOnlyList<UserView>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(cancellationToken);
        var roleNames = await db.Roles.AsNoTracking().ToDictionaryAsync(r => r.Id, r => r.Name ?? "", cancellationToken);
        var userRoles = await db.UserRoles.AsNoTracking().ToListAsync(cancellationToken);
        return users.Select(u => new UserView(
                u.Id,
                u.Email ?? u.UserName ?? "",
                userRoles.Where(r => r.UserId == u.Id).Select(r => roleNames.GetValueOrDefault(r.RoleId, "")).ToList(),
                IsDisabled(u),
                throttle.IsPaused(u.Email ?? "")))
            .ToList();
    }

    /// <summary>Gives the user <paramref name="role"/> instead of their current one; the last admin keeps Admin.</summary>
    public Task<AccountResult> ChangeRoleAsync(string userId, string role, CancellationToken cancellationToken = default)
    {
        if (!Roles.All.Contains(role))
        {
            return Task.FromResult(AccountResult.FailOn(AccountResult.RoleField, "Choose Admin or Marketer."));
        }
        return ChangeAsync(userId, losesAdmin: role != Roles.Admin, AccountResult.RoleField, async (users, user) =>
        {
            var current = await users.GetRolesAsync(user);
            if (current.Count == 1 && current[0] == role)
            {
                return AccountResult.Ok;
            }
            var removed = await users.RemoveFromRolesAsync(user, current);
            return removed.Succeeded ? AccountResult.From(await users.AddToRoleAsync(user, role)) : AccountResult.From(removed);
        }, cancellationToken);
    }

    /// <summary>Disables (no sign-in, sessions end) or enables the account; the last admin cannot be disabled.</summary>
    public Task<AccountResult> SetDisabledAsync(string userId, bool disabled, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, losesAdmin: disabled, "", async (users, user) =>
        {
            if (disabled)
            {
                var enabled = await users.SetLockoutEnabledAsync(user, true);
                if (!enabled.Succeeded)
                {
                    return AccountResult.From(enabled);
                }
            }
            return AccountResult.From(await users.SetLockoutEndDateAsync(user, disabled ? DisabledUntil : null));
        }, cancellationToken);

    /// <summary>Removes the account and ends its sessions; the last admin cannot be removed.</summary>
    public Task<AccountResult> RemoveAsync(string userId, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, losesAdmin: true, "", async (users, user) => AccountResult.From(await users.DeleteAsync(user)), cancellationToken, removes: true);

    /// <summary>An admin sets a new password for the user (ends the user's sessions).</summary>
    public Task<AccountResult> ResetPasswordAsync(string userId, string newPassword, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, losesAdmin: false, AccountResult.PasswordField, async (users, user) =>
        {
            var token = await users.GeneratePasswordResetTokenAsync(user);
            return AccountResult.From(await users.ResetPasswordAsync(user, token, newPassword ?? ""));
        }, cancellationToken);

    /// <summary>The user changes their own password, giving the current one; their other sessions end.</summary>
    public Task<AccountResult> ChangeOwnPasswordAsync(string userId, string currentPassword, string newPassword, CancellationToken cancellationToken = default) =>
        ChangeAsync(userId, losesAdmin: false, AccountResult.PasswordField, async (users, user) =>
            AccountResult.From(await users.ChangePasswordAsync(user, currentPassword ?? "", newPassword ?? "")), cancellationToken);

    /// <summary>Lets every client try the user's address again at once (failed sign-ins held back) and clears a lock-out.</summary>
    public async Task<AccountResult> UnlockAsync(string userId, CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
        var user = await users.FindByIdAsync(userId);
        if (user is null)
        {
            return AccountResult.Fail("This user no longer exists.");
        }
        throttle.Reset(user.Email ?? "");
        await users.ResetAccessFailedCountAsync(user);
        if (!IsDisabled(user) && user.LockoutEnd is not null)
        {
            await users.SetLockoutEndDateAsync(user, null);
        }
        logger.LogInformation("Sign-in unlocked for user {UserId}", userId);
        return AccountResult.Ok;
    }

    /// <summary>
    /// One change to one user, in a write transaction (SQLite BEGIN IMMEDIATE: two admins demoting each other, even
    /// from two processes, cannot both pass the last-admin check), then a new security stamp that ends their sessions.
    /// </summary>
    private async Task<AccountResult> ChangeAsync(
        string userId, bool losesAdmin, string field, Func<UserManager<IdentityUser>, IdentityUser, Task<AccountResult>> change,
        CancellationToken cancellationToken, bool removes = false)
    {
        await _changeLock.WaitAsync(cancellationToken);
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
            var users = scope.ServiceProvider.GetRequiredService<UserManager<IdentityUser>>();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var user = await users.FindByIdAsync(userId);
            if (user is null)
            {
                return AccountResult.Fail("This user no longer exists.");
            }
            if (losesAdmin && await IsLastActiveAdminAsync(db, user, cancellationToken))
            {
                return AccountResult.FailOn(field, LastAdminMessage);
            }
            var result = await change(users, user);
            if (!result.Succeeded)
            {
                return result;
            }
            string? stamp = null;
            if (!removes)
            {
                var updated = await users.UpdateSecurityStampAsync(user);
                if (!updated.Succeeded)
                {
                    return AccountResult.From(updated);
                }
                stamp = user.SecurityStamp;
            }
            await transaction.CommitAsync(cancellationToken);
            revocations.StampChanged(user.Id, stamp);
            logger.LogInformation("User {UserId} changed; their sessions end", user.Id);
            return AccountResult.Ok;
        }
        finally
        {
            _changeLock.Release();
        }
    }

    /// <summary>Whether <paramref name="user"/> is an enabled admin and no other enabled admin exists.</summary>
    private static async Task<bool> IsLastActiveAdminAsync(AccountsDbContext db, IdentityUser user, CancellationToken cancellationToken)
    {
        var adminRoleId = await db.Roles.Where(r => r.Name == Roles.Admin).Select(r => r.Id).FirstOrDefaultAsync(cancellationToken);
        var adminIds = await db.UserRoles.Where(r => r.RoleId == adminRoleId).Select(r => r.UserId).ToListAsync(cancellationToken);
        if (!adminIds.Contains(user.Id) || IsDisabled(user))
        {
            return false;
        }
        // Lock-out ends are compared in memory: SQLite cannot compare DateTimeOffset values in SQL.
        var admins = await db.Users.AsNoTracking().Where(u => adminIds.Contains(u.Id) && u.Id != user.Id).ToListAsync(cancellationToken);
        return !admins.Any(a => !IsDisabled(a));
    }
}
