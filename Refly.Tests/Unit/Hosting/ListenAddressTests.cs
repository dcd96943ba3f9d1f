using Microsoft.Extensions.Configuration;
using Refly.Dashboard.Hosting;

namespace Refly.Tests.Unit.Hosting;

public sealed class ListenAddressTests
{
    [Fact]
    public void IsUnset_NothingConfigured_True() => Assert.True(ListenAddress.IsUnset(Config([])));

    [Theory]
    [InlineData("urls", "http://127.0.0.1:8080")]
    [InlineData("URLS", "http://127.0.0.1:8080")]
    [InlineData("http_ports", "8080")]
    [InlineData("HTTPS_PORTS", "8443")]
    [InlineData("Kestrel:Endpoints:Http:Url", "http://0.0.0.0:8080")]
    public void IsUnset_AnyStandardAddressSetting_False(string key, string value) =>
        Assert.False(ListenAddress.IsUnset(Config([new(key, value)])));

    [Fact]
    public void IsUnset_ShippedAppSettings_NamesNoAddress()
    {
        // The one configuration file must not set an address, or it would win over ASPNETCORE_URLS.
        var config = new ConfigurationBuilder().AddJsonFile(Path.Combine(Support.RepositoryPaths.Root, "appsettings.json")).Build();

        Assert.True(ListenAddress.IsUnset(config));
    }

    private static IConfiguration Config(IEnumerable<KeyValuePair<string, string?>> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
