using Microsoft.Extensions.Configuration;
using Refly.Core.Persistence;

namespace Refly.Tests.Unit.Persistence;

public sealed class ConnectionStringTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("refly-root-").FullName;
    private readonly string _elsewhere = Directory.CreateTempSubdirectory("refly-cwd-").FullName;

    [Fact]
    public void Default_IsUnderTheContentRoot_WhateverTheCurrentDirectory()
    {
        var config = Config(("contentRoot", _root));

        // The test runs in its output folder, not in the content root.
        Assert.NotEqual(Path.GetFullPath(_root), Path.GetFullPath(Directory.GetCurrentDirectory()));

        var resolved = PersistenceServiceCollectionExtensions.ResolveConnectionString(config);

        Assert.Equal(Path.Combine(_root, "data", "refly.db"), DataSource(resolved));
        Assert.True(Directory.Exists(Path.Combine(_root, "data")));
    }

    [Fact]
    public void RelativeOverride_IsResolvedAgainstTheContentRoot_AndKeepsItsOtherSettings()
    {
        var config = Config(("contentRoot", _root), ("ConnectionStrings:Refly", "Data Source=state/app.db;Default Timeout=5"));

        var resolved = PersistenceServiceCollectionExtensions.ResolveConnectionString(config);

        Assert.Equal(Path.Combine(_root, "state", "app.db"), DataSource(resolved));
        Assert.Equal(5, new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(resolved).DefaultTimeout);
    }

    [Fact]
    public void AbsoluteOverride_IsUsedAsGiven()
    {
        var file = Path.Combine(_elsewhere, "abs", "refly.db");
        var config = Config(("contentRoot", _root), ("ConnectionStrings:Refly", $"Data Source={file}"));

        Assert.Equal($"Data Source={file}", PersistenceServiceCollectionExtensions.ResolveConnectionString(config));
    }

    [Fact]
    public void InMemoryDatabase_IsLeftAlone()
    {
        var config = Config(("contentRoot", _root), ("ConnectionStrings:Refly", "Data Source=:memory:"));

        Assert.Equal("Data Source=:memory:", PersistenceServiceCollectionExtensions.ResolveConnectionString(config));
    }

    [Fact]
    public void WebApplicationBuilder_GivesItsContentRoot_SoTheDefaultLandsThere()
    {
        // The app's own builder: `dotnet run --project Refly.Dashboard` starts with the project folder as content root.
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateBuilder(new Microsoft.AspNetCore.Builder.WebApplicationOptions { ContentRootPath = _root });

        var resolved = PersistenceServiceCollectionExtensions.ResolveConnectionString(builder.Configuration);

        Assert.Equal(Path.Combine(_root, "data", "refly.db"), DataSource(resolved));
    }

    private static string DataSource(string connectionString) => new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connectionString).DataSource;

    private static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    public void Dispose()
    {
        foreach (var folder in new[] { _root, _elsewhere })
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the system's temp clean-up.
            }
        }
    }
}
