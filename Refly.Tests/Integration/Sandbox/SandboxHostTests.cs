using Refly.Dashboard.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Refly.KlaviyoSandbox;

namespace Refly.Tests.Integration.Sandbox;

public sealed class SandboxHostTests
{
    [Fact]
    public async Task AddKlaviyoSandbox_BindsTheSandboxSectionAndServesTheDemoAccount()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sandbox:Port"] = "0",
            ["Sandbox:RateLimitMultiplier"] = "1000",
            ["Sandbox:LatencyMilliseconds"] = "5",
            ["Sandbox:LargeListSize"] = "1000",
        }).Build();
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(typeof(Microsoft.Extensions.Logging.ILogger<>), typeof(NullLogger<>))
            .AddKlaviyoSandbox();
        await using var provider = services.BuildServiceProvider();
        var host = provider.GetRequiredService<KlaviyoSandboxHost>();

        await ((IHostedService)host).StartAsync(CancellationToken.None);
        using var client = host.Sandbox.CreateClient();
        using var accounts = await client.GetJsonAsync("/api/accounts");
        await ((IHostedService)host).StopAsync(CancellationToken.None);

        Assert.Equal(TimeSpan.FromMilliseconds(5), host.Sandbox.Store.Latency);
        Assert.Single(accounts.RootElement.GetProperty("data").EnumerateArray());
    }
}
