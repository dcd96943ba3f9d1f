using Microsoft.Data.Sqlite;

namespace Refly.Core.Persistence;

/// <summary>
/// Recognises SQLite errors that mean "the database cannot be written right now" (locked by another connection or
/// process past busy_timeout, disk full, I/O error, read-only file) anywhere in an exception's chain, and says so in
/// words an operator can act on. Work that meets one should pause and retry later, not record a failure: the
/// database that would hold the failure is the thing that is unavailable.
/// </summary>
public static class DatabaseFault
{
    private const int Busy = 5;
    private const int Locked = 6;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Full = 13;

    /// <summary>An operator-facing description of the database fault behind <paramref name="exception"/>, or null when there is none.</summary>
    public static string? Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var sqlite = Find(exception);
        if (sqlite is null)
        {
            return null;
        }
        var cause = sqlite.SqliteErrorCode switch
        {
            Busy or Locked => "the database is locked by another connection or process",
            Full => "the disk holding the database is full",
            IoError => "the database file could not be read or written (I/O error)",
            ReadOnly => "the database file is read-only",
            _ => null,
        };
        return cause is null ? null : $"{cause} (SQLite error {sqlite.SqliteErrorCode}: {FirstLine(sqlite.Message)})";
    }

    private static SqliteException? Find(Exception exception)
    {
        var pending = new Stack<Exception>();
        pending.Push(exception);
        while (pending.TryPop(out var current))
        {
            if (current is SqliteException sqlite)
            {
                return sqlite;
            }
            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is { } inner)
            {
                pending.Push(inner);
            }
        }
        return null;
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return (end < 0 ? message : message[..end]).TrimEnd('.');
    }
}
