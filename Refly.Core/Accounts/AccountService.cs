using FluentValidation;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Refly.Core.Accounts;

/// <summary>A new user as the setup and Users pages submit it.</summary>
public sealed record NewUser(string Email, string Password, string Role);

/// <summary>A user as the Users page lists it.</summary>
public sealed record UserView(string Id, string Email, IReadOnlyList<string> Roles, bool IsLockedOut);

/// <summary>Validates <see cref="NewUser"/>: an e-mail address, a known role; password rules are Identity's.</summary>
public sealed class NewUserValidator : AbstractValidator<NewUser>
{
    public NewUserValidator()
    {
        RuleFor(u => u.Email).NotEmpty().MaximumLength(256).EmailAddress().WithMessage("Enter a valid e-mail address.");
        RuleFor(u => u.Password).NotEmpty().MaximumLength(200);
        RuleFor(u => u.Role).Must(r => Roles.All.Contains(r)).WithMessage("Choose Admin or Marketer.");
    }
}

/// <summary>Result of creating a user: the reasons when refused.</summary>
public sealed record AccountResult(bool Succeeded, IReadOnlyList<string> Errors)
{
    public static AccountResult Ok { get; } = new(true, []);

    public static AccountResult Fail(params IEnumerable<string> errors) => new(false, errors.ToList());
}

/// <summary>
/// First-admin setup and user management. Whether any user exists is cached once true (users are never all deleted
/// through the app), so the "redirect everything to /setup" check costs nothing after setup.
/// </summary>
public sealed class AccountService(IServiceScopeFactory scopes, ILogger<AccountService> logger)
{
    private static readonly NewUserValidator _validator = new();
    private readonly SemaphoreSlim _setupLock = new(1, 1);
    private volatile bool _hasUsers;

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

    /// <summary>Creates a user with one role.</summary>
    public async Task<AccountResult> CreateUserAsync(NewUser user, CancellationToken cancellationToken = default)
    {
        var validation = await _validator.ValidateAsync(user, cancellationToken);
        if (!validation.IsValid)
        {
            return AccountResult.Fail(validation.Errors.Select(e => e.ErrorMessage));
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
            return AccountResult.Fail(created.Errors.Select(e => e.Description));
        }
        var added = await users.AddToRoleAsync(identityUser, user.Role);
        if (!added.Succeeded)
        {
            await users.DeleteAsync(identityUser);
            return AccountResult.Fail(added.Errors.Select(e => e.Description));
        }
        _hasUsers = true;
        return AccountResult.Ok;
    }

    /// <summary>All users with their roles.</summary>
    public async Task<IReadOnlyList<UserView>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<AccountsDbContext>();
        var now = DateTimeOffset.UtcNow;
        var users = await db.Users.AsNoTracking().OrderBy(u => u.Email).ToListAsync(cancellationToken);
        var roleNames = await db.Roles.AsNoTracking().ToDictionaryAsync(r => r.Id, r => r.Name ?? "", cancellationToken);
        var userRoles = await db.UserRoles.AsNoTracking().ToListAsync(cancellationToken);
        return users.Select(u => new UserView(
                u.Id,
                u.Email ?? u.UserName ?? "",
                userRoles.Where(r => r.UserId == u.Id).Select(r => roleNames.GetValueOrDefault(r.RoleId, "")).ToList(),
                u.LockoutEnd is { } end && end > now))
            .ToList();
    }
}
