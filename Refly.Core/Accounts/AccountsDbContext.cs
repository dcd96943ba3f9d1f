using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Refly.Core.Persistence;

namespace Refly.Core.Accounts;

/// <summary>
/// Users and roles, plus the rows other features keep beside them (saved settings, automation tokens: each feature
/// maps its own through an <see cref="IAccountsEntityConfiguration{TEntity}"/>), in the same SQLite file as
/// <see cref="ReflyDbContext"/> but with their own migrations (and migrations history table) so the two models evolve
/// independently.
/// </summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : IdentityDbContext<IdentityUser>(options)
{
    /// <summary>Name of this context's EF migrations history table.</summary>
    public const string MigrationsHistoryTable = "__AccountsMigrationsHistory";

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.ApplyConfigurationsFromAssembly(
            typeof(AccountsDbContext).Assembly,
            AccountsEntityConfigurations.IsAccountsConfiguration);
    }

    /// <summary>The options the app and <c>dotnet ef</c> both use.</summary>
    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsHistoryTable(MigrationsHistoryTable));
}

/// <summary>Lets <c>dotnet ef</c> build the accounts model without starting the dashboard.</summary>
internal sealed class AccountsDesignTimeDbContextFactory : IDesignTimeDbContextFactory<AccountsDbContext>
{
    public AccountsDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<AccountsDbContext>();
        AccountsDbContext.Configure(options, PersistenceServiceCollectionExtensions.DefaultConnectionString);
        return new AccountsDbContext(options.Options);
    }
}
