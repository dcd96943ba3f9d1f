namespace Refly.Dashboard.Sandbox;
public sealed class KlaviyoSandboxOptions { public int Port { get; set; } public double RateLimitMultiplier { get; set; } = 1; public TimeSpan Latency { get; set; } public double FaultRate { get; set; } }
public sealed class KlaviyoSandbox : IAsyncDisposable
{
    public Uri BaseUrl { get; } = new("http://127.0.0.1:1");
    public string ApiKey { get; } = "x";
    public static Task<KlaviyoSandbox> StartAsync(KlaviyoSandboxOptions o, CancellationToken ct = default) => Task.FromResult(new KlaviyoSandbox());
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
