using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Refly.Core.Persistence;
using Refly.Core.Settings;

namespace Refly.Core.Accounts;

/// <summary>
/// Users, roles, settings and automation tokens, in the same SQLite file as <see cref="ReflyDbContext"/> but with
/// their own migrations (and migrations history table) so the two models evolve independently.
/// </summary>
public sealed class AccountsDbContext(DbContextOptions<AccountsDbContext> options) : IdentityDbContext<IdentityUser>(options)
{
    /// <summary>Name of this context's EF migrations history table.</summary>
    public const string MigrationsHistoryTable = "__AccountsMigrationsHistory";

    public DbSet<StoredSetting> Settings => Set<StoredSetting>();

    public DbSet<AutomationTokenRecord> AutomationTokens => Set<AutomationTokenRecord>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.Entity<StoredSetting>(setting =>
        {
            setting.ToTable("Settings");
            setting.HasKey(s => s.Key);
            setting.Property(s => s.Key).HasMaxLength(100);
            setting.Property(s => s.Value).HasMaxLength(8_000);
        });
        builder.Entity<AutomationTokenRecord>(token =>
        {
            token.ToTable("AutomationTokens");
            token.HasKey(t => t.Id);
            token.Property(t => t.Name).HasMaxLength(100);
            token.Property(t => t.Hash).HasMaxLength(64);
            token.Property(t => t.Hint).HasMaxLength(20);
            token.HasIndex(t => t.Hash).IsUnique();
        });
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
