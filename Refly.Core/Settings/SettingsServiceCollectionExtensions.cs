using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Refly.Core.Persistence;

namespace Refly.Core.Settings;

public static class SettingsServiceCollectionExtensions
{
    /// <summary>Data Protection's application name: fixed so the key ring works whatever folder the app runs from.</summary>
    public const string DataProtectionApplicationName = "Refly";

    /// <summary>
    /// Settings saved in the UI with encrypted secrets: <see cref="SettingsService"/> stores the sections each feature
    /// registers (<see cref="SettingsSectionServiceCollectionExtensions.AddSettingsSection{TSection}"/>), whose saved
    /// values override configuration at run time through the options monitors. And Data Protection with its key ring in
    /// <c>keys/</c> beside the SQLite file (one registration: other features that need Data Protection share it).
    /// </summary>
    public static IServiceCollection AddSettings(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName);
        // The folder comes from the final configuration (tests and operators override the connection string late).
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(provider => new ConfigureOptions<KeyManagementOptions>(options =>
            options.XmlRepository = new FileSystemXmlRepository(
                new DirectoryInfo(KeyRingFolder(provider.GetRequiredService<IConfiguration>())),
                provider.GetRequiredService<ILoggerFactory>())));
        services.TryAddSingleton<RuntimeSettings>();
        services.AddSingleton<SettingsService>();
        return services;
    }

    /// <summary>Configuration key that moves the key ring (systemd installs keep it under the data folder).</summary>
    public const string KeysFolderKey = "DataProtection:KeysFolder";

    /// <summary>The Data Protection key ring folder: <c>DataProtection:KeysFolder</c>, else <c>keys</c> beside the database file.</summary>
    public static string KeyRingFolder(IConfiguration configuration)
    {
        var configured = configuration[KeysFolderKey];
        string keys;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            keys = Path.GetFullPath(configured);
        }
        else
        {
            var dataSource = new SqliteConnectionStringBuilder(PersistenceServiceCollectionExtensions.ResolveConnectionString(configuration)).DataSource;
            keys = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(dataSource)) ?? AppContext.BaseDirectory, "keys");
        }
        PrivateFiles.CreateFolder(keys);
        return keys;
    }
}
