using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Refly.Core.Persistence;

public static class PersistenceServiceCollectionExtensions
{
    /// <summary>The connection string used when <c>ConnectionStrings:Refly</c> is not set.</summary>
    public const string DefaultConnectionString = "Data Source=data/refly.db";

    private static readonly SqlitePragmaInterceptor _pragmas = new();

    /// <summary>Registers the SQLite <see cref="ReflyDbContext"/> factory and the start-up migrator.</summary>
    public static IServiceCollection AddPersistence(this IServiceCollection services, IConfiguration configuration)
    {
        // Read the connection string from the final configuration (tests and operators override it after registration).
        services.AddPooledDbContextFactory<ReflyDbContext>((provider, options) => options
            .UseSqlite(ResolveConnectionString(provider.GetRequiredService<IConfiguration>()))
            .AddInterceptors(_pragmas));
        services.AddSingleton<DatabaseMigrator>();
        return services;
    }

    /// <summary>
    /// The configured SQLite connection string (default <see cref="DefaultConnectionString"/>), with a relative file
    /// path resolved against the host's content root (<c>contentRoot</c>, the folder the app was started in unless
    /// <c>--contentRoot</c> says otherwise), so every part of the app (database, key ring, backup) agrees on one file
    /// whatever the current directory is later. Makes sure the folder of the file exists (0700).
    /// </summary>
    public static string ResolveConnectionString(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var connectionString = configuration.GetConnectionString("Refly");
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = DefaultConnectionString;
        }
        var builder = new SqliteConnectionStringBuilder(connectionString);
        var contentRoot = configuration[Microsoft.Extensions.Hosting.HostDefaults.ContentRootKey];
        if (!string.IsNullOrWhiteSpace(contentRoot) && IsRelativeFile(builder.DataSource))
        {
            builder.DataSource = Path.GetFullPath(Path.Combine(contentRoot, builder.DataSource));
            connectionString = builder.ToString();
        }
        EnsureDatabaseFolderExists(connectionString);
        return connectionString;
    }

    // ":memory:" and "file:" URIs are SQLite's own; an empty Data Source is a temporary database.
    private static bool IsRelativeFile(string dataSource) =>
        !string.IsNullOrEmpty(dataSource) && !dataSource.StartsWith(':') &&
        !dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && !Path.IsPathRooted(dataSource);

    private static void EnsureDatabaseFolderExists(string connectionString)
    {
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var folder = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(folder) && !dataSource.StartsWith(':'))
        {
            PrivateFiles.CreateFolder(folder);
        }
    }
}
