using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Persistence;

namespace Refly.Tests.Support;

/// <summary>
/// Simulates a full disk on the product's own database connections: while <see cref="Full"/>, every connection the
/// product opens gets <c>PRAGMA max_page_count</c> at the file's current size (SQLite does not go below it), so any
/// write that needs a new page fails with SQLITE_FULL, exactly as on a full disk. Clearing it lifts the cap.
/// </summary>
public sealed class SqliteDiskFull : DbConnectionInterceptor
{
    private volatile bool _full;

    public bool Full
    {
        get => _full;
        set => _full = value;
    }

    public void AddTo(IServiceCollection services) =>
        services.ConfigureDbContext<ReflyDbContext>(o => o.AddInterceptors(this), ServiceLifetime.Singleton);

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private string Pragma => _full ? "PRAGMA max_page_count = 1;" : "PRAGMA max_page_count = 1073741823;";
}
