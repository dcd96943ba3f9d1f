using Microsoft.EntityFrameworkCore;

namespace Refly.Core.Persistence;

/// <summary>
/// Maps an entity a feature keeps in the accounts store (<c>AccountsDbContext</c>: saved settings, automation tokens)
/// rather than in <see cref="ReflyDbContext"/>. Each context applies the configurations of Core that belong to it, so
/// neither depends on the features whose rows it holds.
/// </summary>
public interface IAccountsEntityConfiguration<TEntity> : IEntityTypeConfiguration<TEntity>
    where TEntity : class;

/// <summary>Tells the two stores' configurations apart.</summary>
public static class AccountsEntityConfigurations
{
    /// <summary>Whether <paramref name="type"/> configures an entity of the accounts store.</summary>
    public static bool IsAccountsConfiguration(Type type) =>
        type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAccountsEntityConfiguration<>));
}
