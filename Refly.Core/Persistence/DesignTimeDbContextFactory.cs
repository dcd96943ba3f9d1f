using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Refly.Core.Persistence;

/// <summary>Lets <c>dotnet ef</c> build the model without starting the dashboard (which would start the sandbox).</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ReflyDbContext>
{
    public ReflyDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ReflyDbContext>().UseSqlite(PersistenceServiceCollectionExtensions.DefaultConnectionString).Options);
}
