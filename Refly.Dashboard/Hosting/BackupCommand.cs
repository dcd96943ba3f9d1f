using Refly.Dashboard.Hosting.Backup;

namespace Refly.Dashboard.Hosting;

/// <summary>
/// <c>Refly.Dashboard backup &lt;folder&gt;</c> and <c>Refly.Dashboard restore &lt;folder&gt;</c>: handled before the
/// web host starts, with the app's own configuration (appsettings.json, environment variables, command line), so the
/// same service environment finds the same database and key ring.
/// </summary>
internal static class BackupCommand
{
    public static bool Handles(string[] args) => args.Length > 0 && args[0] is "backup" or "restore";

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2 || args[1].StartsWith('-'))
        {
            await Console.Error.WriteLineAsync("usage: Refly.Dashboard backup <folder> | restore <folder> [--ConnectionStrings:Refly=...]");
            return 2;
        }
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args[2..] });
        builder.AddReflyConfiguration();
        var folders = DataFolders.From(builder.Configuration);
        var backup = new ReflyBackup(folders, TimeProvider.System);
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        try
        {
            if (args[0] == "backup")
            {
                var manifest = await backup.BackupAsync(args[1], stop.Token);
                Console.WriteLine($"Backed up {folders.DatabaseFile} (migration {manifest.LatestMigration}) and {manifest.KeyFiles} key file(s) to {Path.GetFullPath(args[1])}");
            }
            else
            {
                var manifest = await backup.RestoreAsync(args[1], stop.Token);
                Console.WriteLine($"Restored the backup of {manifest.CreatedAt:u} (migration {manifest.LatestMigration}) into {folders.DatabaseFile} and {folders.KeysFolder}; start the app to apply newer migrations");
            }
            return 0;
        }
        catch (BackupException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            return 1;
        }
    }
}
