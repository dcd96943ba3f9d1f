using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Refly.Core.Persistence;

namespace Refly.Core.Accounts;

public static class AccountsServiceCollectionExtensions
{
    /// <summary>
    /// ASP.NET Core Identity (users, roles) on <see cref="AccountsDbContext"/> in the app's SQLite file, first-admin
    /// setup, user management, the password rules, the sign-in throttle and sign-in itself. The host adds the sign-in
    /// scheme (cookies). Identity's own lock-out after failed passwords is not used (anyone knowing an address could
    /// lock its owner out with it): <see cref="SignInThrottle"/> holds back guessing per client instead, and the
    /// lock-out fields only mark accounts an admin disabled.
    /// </summary>
    public static IServiceCollection AddAccounts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDbContextFactory<AccountsDbContext>((provider, options) =>
            AccountsDbContext.Configure(options, PersistenceServiceCollectionExtensions.ResolveConnectionString(provider.GetRequiredService<IConfiguration>())));
        services.AddIdentityCore<IdentityUser>(options =>
            {
                options.User.RequireUniqueEmail = true;
                options.Password.RequiredLength = PasswordRules.MinimumLength;
                options.Password.RequiredUniqueChars = PasswordRules.MinimumDistinctCharacters;
                options.Password.RequireDigit = false;
                options.Password.RequireLowercase = false;
                options.Password.RequireNonAlphanumeric = false;
                options.Password.RequireUppercase = false;
                options.Lockout.AllowedForNewUsers = true;
                options.SignIn.RequireConfirmedAccount = false;
            })
            .AddRoles<IdentityRole>()
            .AddPasswordValidator<CommonPasswordValidator>()
            .AddEntityFrameworkStores<AccountsDbContext>()
            .AddSignInManager()
            .AddDefaultTokenProviders();
        services.AddOptions<SignInThrottleOptions>().BindConfiguration(SignInThrottleOptions.SectionName)
            .Validate(o => o.AttemptsPerClient > 0 && o.FailuresPerAccountAndClient > 0 && o.FailuresPerAccount >= o.FailuresPerAccountAndClient
                           && o.ClientWindow > TimeSpan.Zero && o.FailureWindow > TimeSpan.Zero,
                "Accounts:SignInThrottle needs positive limits and windows, and FailuresPerAccount >= FailuresPerAccountAndClient.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<SignInThrottle>();
        services.AddSingleton<SessionRevocations>();
        services.AddScoped<SignInService>();
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
        await MigrationGate.MigrateAsync(db, "accounts", logger, cancellationToken);
    }
}
