namespace Refly.Tests.Integration.Operations;

/// <summary>
/// The app as built (<c>dotnet Refly.Dashboard.dll</c> in the test output folder, with its appsettings.json) listens
/// where the standard ASP.NET Core settings say. The published app is started the same way in <see cref="PublishedAppTests"/>.
/// </summary>
public sealed class ListenAddressTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("refly-listen-").FullName;

    [Theory]
    [InlineData(nameof(PublishedApp.ListenVia.AspNetCoreUrls))]
    [InlineData(nameof(PublishedApp.ListenVia.AspNetCoreHttpPorts))]
    [InlineData(nameof(PublishedApp.ListenVia.CommandLineUrls))]
    public async Task App_GivenItsAddressTheStandardWay_AnswersThere(string way)
    {
        var listenVia = Enum.Parse<PublishedApp.ListenVia>(way);
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Refly"] = $"Data Source={Path.Combine(_data, listenVia.ToString(), "refly.db")}",
            ["Sandbox__LargeListSize"] = "1000",
        };

        await using var app = await PublishedApp.StartAsync(AppContext.BaseDirectory, environment, waitUntilHealthy: false, listenVia);

        await app.WaitUntilHealthyAsync(TimeSpan.FromSeconds(90));
        Assert.DoesNotContain("localhost:5000", app.Output, StringComparison.Ordinal);
        Assert.True(await app.TerminateAsync(TimeSpan.FromSeconds(60)), app.Output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp clean-up.
        }
    }
}
