namespace Refly.Core.Persistence;

/// <summary>
/// The data folder holds contact e-mail addresses, password hashes and the key ring: on Unix it is created 0700 and
/// the database file 0600, whoever starts the app (systemd's UMask=0077 covers only the service; a `dotnet run`, a
/// backup or restore by hand does not get it). SQLite creates the -wal and -shm files with the database's mode.
/// </summary>
public static class PrivateFiles
{
    /// <summary>rwx for the owner only.</summary>
    public const UnixFileMode FolderMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>rw for the owner only.</summary>
    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> (and missing parents) with <see cref="FolderMode"/>; an existing folder is left as it is.</summary>
    public static void CreateFolder(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        Directory.CreateDirectory(path, FolderMode);
    }

    /// <summary>
    /// Creates an empty <paramref name="databaseFile"/> with <see cref="FileMode"/> when it does not exist (SQLite takes a
    /// zero-length file as an empty database), and narrows an existing one (and its -wal/-shm) to it.
    /// </summary>
    public static void PrepareDatabaseFile(string databaseFile)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }
        try
        {
            using var created = new FileStream(databaseFile, new FileStreamOptions
            {
                Mode = System.IO.FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = FileMode,
            });
        }
        catch (IOException) when (File.Exists(databaseFile))
        {
            // There already: narrow what an earlier version (or SQLite's default 0644) left.
            foreach (var file in new[] { databaseFile, databaseFile + "-wal", databaseFile + "-shm" })
            {
                if (File.Exists(file) && (File.GetUnixFileMode(file) & ~FileMode) != 0)
                {
                    File.SetUnixFileMode(file, FileMode);
                }
            }
        }
    }
}
