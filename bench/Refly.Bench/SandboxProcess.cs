using System.Diagnostics;
using Refly.KlaviyoSandbox;
using Refly.KlaviyoSandbox.Store;

namespace Refly.Bench;

/// <summary>
/// The Klaviyo sandbox in its own process, so the benchmark's memory and CPU figures are the product's alone (the
/// sandbox keeps every written profile in memory, as Klaviyo keeps them in its database).
/// </summary>
internal sealed class SandboxProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SandboxProcess(Process process, Uri baseUrl, string apiKey, IReadOnlyDictionary<long, string> campaigns, string neighbourKey, string neighbourListId)
    {
        _process = process;
        BaseUrl = baseUrl;
        ApiKey = apiKey;
        CampaignsBySize = campaigns;
        NeighbourApiKey = neighbourKey;
        NeighbourListId = neighbourListId;
    }

    public Uri BaseUrl { get; }

    public string ApiKey { get; }

    /// <summary>A second private key of the same account, for another integration that shares its rate limits.</summary>
    public string NeighbourApiKey { get; }

    /// <summary>A list of the account that the other integration reads.</summary>
    public string NeighbourListId { get; }

    /// <summary>Campaign id per audience size (one Draft campaign with one message and one list each).</summary>
    public IReadOnlyDictionary<long, string> CampaignsBySize { get; }

    /// <summary>CPU time the sandbox process has used so far.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    public static async Task<SandboxProcess> StartAsync(SandboxSettings settings, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
        {
            // Started as `dotnet Refly.Bench.dll`: the child needs the assembly path too.
            start.ArgumentList.Add(typeof(SandboxProcess).Assembly.Location);
        }
        foreach (var argument in settings.ToArguments())
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the sandbox process.");
        var campaigns = new Dictionary<long, string>();
        var neighbour = ("", "");
        while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            var parts = line.Split(' ');
            if (parts[0] == "CAMPAIGN")
            {
                campaigns[long.Parse(parts[1])] = parts[2];
            }
            else if (parts[0] == "NEIGHBOUR")
            {
                neighbour = (parts[1], parts[2]);
            }
            else if (parts[0] == "READY")
            {
                return new SandboxProcess(process, new Uri(parts[1]), parts[2], campaigns, neighbour.Item1, neighbour.Item2);
            }
        }
        throw new InvalidOperationException("The sandbox process ended before it was ready.");
    }

    /// <summary>Entry point of the child process: serve until standard input closes.</summary>
    public static async Task<int> ServeAsync(string[] args)
    {
        var settings = SandboxSettings.Parse(args);
        var campaigns = new Dictionary<long, string>();
        var neighboursList = "";
        await using var sandbox = await KlaviyoSandboxServer.StartAsync(new KlaviyoSandboxOptions
        {
            RateLimitMultiplier = settings.Multiplier,
            Latency = TimeSpan.FromMilliseconds(settings.LatencyMs),
            ImportJobDelay = TimeSpan.FromMilliseconds(settings.ImportDelayMs),
            Seed = store =>
            {
                foreach (var size in settings.Sizes)
                {
                    var list = store.AddList($"Audience {size:N0}", size);
                    var campaign = store.AddCampaign($"Bench {size:N0}", CampaignStatuses.Draft, store.TimeProvider.GetUtcNow().AddDays(3),
                        [new MessageSeed("Email", "Our autumn picks", "Fresh arrivals this week", "<html><body><!-- refly:intro --><p>Hello</p></body></html>")],
                        [list.Id]);
                    campaigns[size] = campaign.Id;
                }
                // Generated on demand, never materialized: costs nothing unless a neighbour reads it.
                neighboursList = store.AddList("The neighbour's list", 100_000).Id;
            },
        });
        Console.WriteLine($"NEIGHBOUR {sandbox.Store.IssuePrivateKey()} {neighboursList}");
        foreach (var (size, id) in campaigns)
        {
            Console.WriteLine($"CAMPAIGN {size} {id}");
        }
        Console.WriteLine($"READY {sandbox.BaseUrl} {sandbox.ApiKey}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

/// <summary>How the sandbox child is started.</summary>
internal sealed record SandboxSettings(double Multiplier, int LatencyMs, int ImportDelayMs, IReadOnlyList<long> Sizes)
{
    public IEnumerable<string> ToArguments() =>
    [
        "sandbox", Multiplier.ToString(System.Globalization.CultureInfo.InvariantCulture), LatencyMs.ToString(), ImportDelayMs.ToString(),
        string.Join(',', Sizes),
    ];

    public static SandboxSettings Parse(string[] args) => new(
        double.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(args[2]),
        int.Parse(args[3]),
        args[4].Split(',').Select(long.Parse).ToList());
}
