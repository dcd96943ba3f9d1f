using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Refly.Core.Persistence;

namespace Refly.Tests.Unit.Persistence;

public sealed class DatabaseFaultTests
{
    [Theory]
    [InlineData(5, "SQLite Error 5: 'database is locked'.", "the database is locked by another connection or process (SQLite error 5: SQLite Error 5: 'database is locked')")]
    [InlineData(6, "database table is locked", "the database is locked by another connection or process (SQLite error 6: database table is locked)")]
    [InlineData(13, "SQLite Error 13: 'database or disk is full'.", "the disk holding the database is full (SQLite error 13: SQLite Error 13: 'database or disk is full')")]
    [InlineData(10, "disk I/O error", "the database file could not be read or written (I/O error) (SQLite error 10: disk I/O error)")]
    public void Describe_NamesTheCause_EvenWhenWrappedByEfCore(int code, string message, string expected)
    {
        var wrapped = new DbUpdateException("An error occurred while saving the entity changes.", new SqliteException(message, code));

        Assert.Equal(expected, DatabaseFault.Describe(wrapped));
        Assert.Equal(expected, DatabaseFault.Describe(new AggregateException(new InvalidOperationException("other"), wrapped)));
    }

    [Fact]
    public void Describe_IgnoresErrorsThatAreNotAboutWritingTheDatabase()
    {
        Assert.Null(DatabaseFault.Describe(new SqliteException("UNIQUE constraint failed", 19)));
        Assert.Null(DatabaseFault.Describe(new InvalidOperationException("database is locked")));
    }
}
