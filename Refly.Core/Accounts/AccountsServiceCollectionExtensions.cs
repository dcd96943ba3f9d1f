using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Refly.Core.Persistence;

namespace Refly.Core.Accounts;

public static class AccountsServiceCollectionExtensions
{
    /// <summary>Failed sign-ins before a lock-out, and its length.</summary>
    public const int MaxFailedSignIns = 5;

    public static readonly TimeSpan LockoutDuration = TimeSpan.FromMinutes(15);

    /// <summary>
    /// ASP.NET Core Identity (users, roles, lock-out) on <see cref="AccountsDbContext"/> in the app's SQLite file,
    /// first-admin setup and user management. The host adds the sign-in scheme (cookies) and the sign-in manager.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDbContextFactory<AccountsDbContext>((provider, options) =>
            AccountsDbContext.Configure(options, PersistenceServiceCollectionExtensions.ResolveConnectionString(provider.GetRequiredService<IConfiguration>())));
        services.AddIdentityCore<IdentityUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = 10;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Lockout.AllowedForNewUsers = true;
                options.Lockout.MaxFailedAccessAttempts = MaxFailedSignIns;
                options.Lockout.DefaultLockoutTimeSpan = LockoutDuration;
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddEntityFrameworkStores<AccountsDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddSingleton<AccountService>();
        services.AddSingleton<AccountsMigrator>();
        return services;
    }
}

/// <summary>Applies the accounts migrations (after <see cref="DatabaseMigrator"/>, same file).</summary>
public sealed class AccountsMigrator(IDbContextFactory<AccountsDbContext> contexts, ILogger<AccountsMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        if (pending.Count > 0)
        {
            logger.LogInformation("Applying {Count} accounts migration(s): {Migrations}", pending.Count, string.Join(", ", pending));
        }
        await db.Database.MigrateAsync(cancellationToken);
    }
}
