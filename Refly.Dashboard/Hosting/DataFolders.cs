using Microsoft.Data.Sqlite;
using Refly.Core.Persistence;
using Refly.Core.Settings;

namespace Refly.Dashboard.Hosting;

/// <summary>
/// Where the app keeps its state: the SQLite file of <c>ConnectionStrings:Refly</c> and the Data Protection key ring,
/// by default a <c>keys/</c> folder beside the database (<c>DataProtection:KeysFolder</c> overrides it). Both belong to
/// the data folder, outside the install folder, so an upgrade replaces the install folder and keeps them.
/// </summary>
public sealed record DataFolders(string ConnectionString, string DatabaseFile, string KeysFolder)
{
    public const string KeysFolderKey = SettingsServiceCollectionExtensions.KeysFolderKey;

    public static DataFolders From(IConfiguration configuration)
    {
        var connectionString = PersistenceServiceCollectionExtensions.ResolveConnectionString(configuration);
        var databaseFile = Path.GetFullPath(new SqliteConnectionStringBuilder(connectionString).DataSource);
        return new DataFolders(connectionString, databaseFile, SettingsServiceCollectionExtensions.KeyRingFolder(configuration));
    }
}
