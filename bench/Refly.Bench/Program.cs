using System.Diagnostics;
using System.Globalization;
using System.Text;
using Refly.Bench;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox;

if (args.Length > 0 && args[0] == "sandbox")
{
    return await SandboxProcess.ServeAsync(args);
}

// Usage: dotnet run -c Release --project bench/Refly.Bench [-- --quick] [--out FILE]
var quick = args.Contains("--quick");
var outFile = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault();
var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault();
int[] circuits = args.SkipWhile(a => a != "--circuits").Skip(1).FirstOrDefault()?.Split(',').Select(int.Parse).ToArray() ?? [1, 10, 50];
const double VeryLargeScale = 1; // Klaviyo's own limits (about 14 minutes)
const int VeryLargeStreams = 8; // the product's default
const double CeilingPerSecond = 750.0 * 100 / 60; // get_profiles_for_list steady 750/m x 100 profiles a page
var report = new StringBuilder();
void Line(string text)
{
    Console.WriteLine(text);
    report.AppendLine(text);
}

Line($"Refly benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
Line("");
Line("| scenario | contacts | latency | limits | contacts/s | of ceiling | wall time | requests (profiles pages / imports / import polls / other) | 429s | retries | peak working set | CPU: Refly / sandbox |");
Line("| --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");

bool Selected(string key) => only is null || only.Split(',').Contains(key);

async Task RunScenarioAsync(string name, long size, int latencyMs, double multiplier, int importDelayMs, bool converted, int readConcurrency = 8)
{
    await using var sandbox = await SandboxProcess.StartAsync(new SandboxSettings(multiplier, latencyMs, importDelayMs, [size]), CancellationToken.None);
    await using var host = await ProductHost.StartAsync(sandbox, multiplier, readConcurrency);
    var stats = host.Get<KlaviyoClientStats>();
    var before = stats.Snapshot();
    GC.Collect();
    using var sampler = new WorkingSetSampler();
    var productCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var sandboxCpuBefore = sandbox.ProcessorTime;
    var wall = Stopwatch.StartNew();
    var run = await host.StartRunAsync(sandbox.CampaignsBySize[size]);
    var done = await host.WaitForAsync(run.Id, r => r.State is RunState.Completed or RunState.Failed, TimeSpan.FromHours(2));
    wall.Stop();
    var productCpu = (Process.GetCurrentProcess().TotalProcessorTime - productCpuBefore).TotalSeconds;
    var sandboxCpu = (sandbox.ProcessorTime - sandboxCpuBefore).TotalSeconds;
    if (done.State != RunState.Completed || done.Written != size)
    {
        throw new InvalidOperationException($"{name}: run ended {done.State} with {done.Written:N0} of {size:N0} written ({done.Error}).");
    }

    var seconds = (done.FinishedAt!.Value - done.StartedAt!.Value).TotalSeconds;
    var rate = done.Written / seconds;
    var reported = converted ? rate / multiplier : rate;
    var after = stats.Snapshot();
    long Delta(string key) => (after.TryGetValue(key, out var a) ? a.RequestsSent : 0) - (before.TryGetValue(key, out var b) ? b.RequestsSent : 0);
    var pages = Delta("get_profiles_for_list");
    var imports = Delta("bulk_import_profiles");
    var polls = Delta("get_bulk_import_profiles_job");
    var total = after.Values.Sum(v => v.RequestsSent) - before.Values.Sum(v => v.RequestsSent);
    var throttled = after.Values.Sum(v => v.RateLimited) - before.Values.Sum(v => v.RateLimited);
    var retries = after.Values.Sum(v => v.Retries) - before.Values.Sum(v => v.Retries);
    var limits = multiplier == 1 ? "Klaviyo's" : converted ? $"x{multiplier:0.##}, converted back" : $"x{multiplier:0.##} (lifted)";
    var ofCeiling = multiplier >= 100 ? $"{rate / CeilingPerSecond:0.#}x" : $"{reported / CeilingPerSecond:P0}";
    Line(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {size:N0} | {latencyMs} ms | {limits} | {reported:N0} | {ofCeiling} | {wall.Elapsed.TotalSeconds:0.0} s | {pages:N0} / {imports:N0} / {polls:N0} / {total - pages - imports - polls:N0} | {throttled} ({(total == 0 ? 0 : 100.0 * throttled / total):0.##}%) | {retries} | {sampler.PeakMegabytes:0} MB | {productCpu:0} s / {sandboxCpu:0} s |"));
}

// Another private-key integration of the account reads list profiles at 30% of get_profiles_for_list's steady limit
// (its own key, the same quota) from just before the run starts until it ends.
async Task NeighbourScenarioAsync(long size, double neighbourShare)
{
    const int latencyMs = 250;
    await using var sandbox = await SandboxProcess.StartAsync(new SandboxSettings(1, latencyMs, 2000, [size]), CancellationToken.None);
    await using var host = await ProductHost.StartAsync(sandbox, 1);
    var stats = host.Get<KlaviyoClientStats>();
    var before = stats.Snapshot();
    var neighbourPerMinute = neighbourShare * KlaviyoEndpoints.GetProfilesForList.SteadyPerMinute;
    var neighbour = SandboxNeighbour.Start(sandbox.BaseUrl, sandbox.NeighbourApiKey, sandbox.NeighbourListId, neighbourPerMinute);
    var wall = Stopwatch.StartNew();
    PersonalizationRun done;
    try
    {
        var run = await host.StartRunAsync(sandbox.CampaignsBySize[size]);
        done = await host.WaitForAsync(run.Id, r => r.State is RunState.Completed or RunState.Failed, TimeSpan.FromHours(2));
    }
    finally
    {
        await neighbour.DisposeAsync();
    }
    wall.Stop();
    if (done.State != RunState.Completed || done.Written != size)
    {
        throw new InvalidOperationException($"neighbour: run ended {done.State} with {done.Written:N0} of {size:N0} written ({done.Error}).");
    }

    var seconds = (done.FinishedAt!.Value - done.StartedAt!.Value).TotalSeconds;
    var rate = done.Written / seconds;
    var after = stats.Snapshot();
    long Delta(string key, Func<KlaviyoEndpointStats, long> value) =>
        (after.TryGetValue(key, out var a) ? value(a) : 0) - (before.TryGetValue(key, out var b) ? value(b) : 0);
    var pages = Delta("get_profiles_for_list", s => s.RequestsSent);
    var total = after.Values.Sum(v => v.RequestsSent) - before.Values.Sum(v => v.RequestsSent);
    var throttled = after.Values.Sum(v => v.RateLimited) - before.Values.Sum(v => v.RateLimited);
    var minutes = wall.Elapsed.TotalMinutes;
    Line("");
    Line(string.Create(CultureInfo.InvariantCulture,
        $"Shared quota: a {size:N0}-contact run ({latencyMs} ms latency, Klaviyo's limits, Klaviyo:RateLimitShare {KlaviyoOptions.DefaultRateLimitShare}) while another integration of the account (its own private key) reads list profiles at {neighbourShare:P0} of the steady limit ({neighbourPerMinute:0} requests a minute, pages of 100):"));
    Line("");
    Line("| client | list-profile requests a minute | of the steady limit | contacts/s | requests | 429s | wall time |");
    Line("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    Line(string.Create(CultureInfo.InvariantCulture,
        $"| Refly | {pages / seconds * 60:0} | {pages / seconds * 60 / KlaviyoEndpoints.GetProfilesForList.SteadyPerMinute:P0} | {rate:N0} ({rate / CeilingPerSecond:P0} of the ceiling) | {total:N0} | {throttled} ({(total == 0 ? 0 : 100.0 * throttled / total):0.##}%) | {seconds:0.0} s (run) |"));
    Line(string.Create(CultureInfo.InvariantCulture,
        $"| neighbour | {neighbour.Requests / minutes:0} | {neighbour.Requests / minutes / KlaviyoEndpoints.GetProfilesForList.SteadyPerMinute:P0} | {(neighbour.Requests - neighbour.Throttled - neighbour.Failed) * 100 / wall.Elapsed.TotalSeconds:N0} (profiles read) | {neighbour.Requests:N0} | {neighbour.Throttled} ({(neighbour.Requests == 0 ? 0 : 100.0 * neighbour.Throttled / neighbour.Requests):0.##}%) | {wall.Elapsed.TotalSeconds:0.0} s |"));
}

async Task CancelScenarioAsync(int repetitions)
{
    const long size = 200_000;
    var times = new List<double>();
    for (var i = 0; i < repetitions; i++)
    {
        await using var sandbox = await SandboxProcess.StartAsync(new SandboxSettings(1, 250, 2000, [size]), CancellationToken.None);
        await using var host = await ProductHost.StartAsync(sandbox, 1);
        var run = await host.StartRunAsync(sandbox.CampaignsBySize[size]);
        await host.WaitForAsync(run.Id, r => r.Written >= 5_000, TimeSpan.FromMinutes(5));
        var clock = Stopwatch.StartNew();
        await host.Get<PersonalizationRunService>().CancelAsync(run.Id, "benchmark", CancellationToken.None);
        await host.WaitForAsync(run.Id, r => r.State is RunState.Cancelled or RunState.Failed, TimeSpan.FromMinutes(5));
        times.Add(clock.Elapsed.TotalSeconds);
    }
    times.Sort();
    Line("");
    Line(string.Create(CultureInfo.InvariantCulture,
        $"Cancel to Cancelled with a 200,000-contact run in full flight (250 ms latency, Klaviyo's limits), {repetitions} runs: median {times[times.Count / 2]:0.00} s, min {times[0]:0.00} s, max {times[^1]:0.00} s (includes restoring the content and removing the properties written so far)."));
}

// The LLM personalizer against the in-process model stand-in (a profile, real time): contacts/s and model use per contact.
async Task LlmScenarioAsync(long size, string profile, int maxConcurrency, string? rateLimitShare)
{
    const int latencyMs = 250;
    await using var model = await Refly.ModelSandbox.ModelSandboxServer.StartAsync(new Refly.ModelSandbox.ModelSandboxOptions { Profile = profile, TimeScale = 1 });
    await using var sandbox = await SandboxProcess.StartAsync(new SandboxSettings(1, latencyMs, 2000, [size]), CancellationToken.None);
    var settings = new Dictionary<string, string?>
    {
        ["Personalization:Personalizer"] = "llm",
        ["Personalization:Llm:Endpoint"] = model.Endpoint.ToString(),
        ["Personalization:Llm:ModelId"] = model.ModelId,
        ["Personalization:Llm:MaxConcurrency"] = maxConcurrency.ToString(CultureInfo.InvariantCulture),
    };
    if (rateLimitShare is not null)
    {
        // --llm-share 1.0: all of Klaviyo's limits for Refly (the default 0.9 leaves a tenth to the account's other integrations).
        settings["Klaviyo:RateLimitShare"] = rateLimitShare;
    }
    await using var host = await ProductHost.StartAsync(sandbox, 1, extraSettings: settings);
    var llm = (LlmPersonalizer)host.Get<PersonalizerSelector>().Current;
    var wall = Stopwatch.StartNew();
    var run = await host.StartRunAsync(sandbox.CampaignsBySize[size]);
    var done = await host.WaitForAsync(run.Id, r => r.State is RunState.Completed or RunState.Failed, TimeSpan.FromHours(2));
    wall.Stop();
    if (done.State != RunState.Completed || done.Written != size)
    {
        throw new InvalidOperationException($"llm: run ended {done.State} with {done.Written:N0} of {size:N0} written ({done.Error}).");
    }
    var seconds = (done.FinishedAt!.Value - done.StartedAt!.Value).TotalSeconds;
    var u = llm.Stats.Snapshot();
    var contacts = (double)(u.ContactsFromModel + u.ContactsRuleBased);
    Line("");
    Line(string.Create(CultureInfo.InvariantCulture,
        $"LLM personalizer, {size:N0} contacts ({latencyMs} ms latency, Klaviyo's limits, RateLimitShare {rateLimitShare ?? "0.9 (default)"}), model stand-in '{profile}' in real time, MaxConcurrency {maxConcurrency}, GroupsPerCall {host.Get<Microsoft.Extensions.Options.IOptions<LlmPersonalizerOptions>>().Value.GroupsPerCall}:"));
    Line("");
    Line("| contacts/s | of ceiling | wall time | fact groups | model calls | calls per contact | output tokens per contact | model-written | rule-based | cache hits | 429s | peak calls in flight | group fallbacks |");
    Line("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    Line(string.Create(CultureInfo.InvariantCulture,
        $"| {done.Written / seconds:N0} | {done.Written / seconds / CeilingPerSecond:P0} | {wall.Elapsed.TotalSeconds:0.0} s | {u.DistinctGroups:N0} | {u.ModelCalls:N0} | {u.ModelCalls / contacts:0.0000} | {u.OutputTokens / contacts:0.00} | {u.ContactsFromModel / contacts:P1} | {u.ContactsRuleBased:N0} | {u.CacheHits:N0} | {u.Throttled:N0} | {u.PeakConcurrency} | {string.Join(", ", u.GroupFallbacksByReason.Select(r => $"{r.Key}: {r.Value}"))} |"));
}

async Task FanOutAsync(int[] circuits, TimeSpan duration)
{
    Line("");
    Line("Live updates: progress of 20 running campaigns changing 20 times a second in all, watched by N dashboard circuits (Chromium pages):");
    Line("");
    Line("| circuits | campaigns | changes | renders seen | latency median | p95 | max | server CPU | Chromium CPU | rows behind at the end |");
    Line("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    foreach (var n in circuits)
    {
        Line(await FanOutBenchmark.RunAsync(n, duration));
    }
}

if (args.Contains("--fanout-only"))
{
    await FanOutAsync(circuits, TimeSpan.FromSeconds(20));
}
else if (quick)
{
    await RunScenarioAsync("smoke", 10_000, 250, 1, 2000, converted: false);
    await RunScenarioAsync("pipeline only", 50_000, 0, 1000, 0, converted: false);
    await CancelScenarioAsync(1);
    await FanOutAsync([1, 10], TimeSpan.FromSeconds(10));
}
else
{
    // --only small,large,1m,pipeline,x10,neighbour,cancel,fanout runs a subset.
    if (Selected("small"))
    {
        await RunScenarioAsync("small", 10_000, 250, 1, 2000, converted: false);
    }
    if (Selected("large"))
    {
        await RunScenarioAsync("large", 200_000, 250, 1, 2000, converted: false);
    }
    if (Selected("1m"))
    {
        await RunScenarioAsync("very large", 1_000_000, 250, VeryLargeScale, 2000, converted: VeryLargeScale != 1, readConcurrency: VeryLargeStreams);
    }
    if (Selected("pipeline"))
    {
        await RunScenarioAsync("pipeline only (limits and latency lifted)", 200_000, 0, 1000, 0, converted: false);
    }
    if (Selected("x10"))
    {
        await RunScenarioAsync("large, limits x10", 200_000, 250, 10, 2000, converted: false, readConcurrency: 24);
    }
    // --only llm (h100, 200,000 contacts); --llm-size N --llm-profile a100 --llm-concurrency 256 --llm-share 1.0 vary it.
    if (only is not null && Selected("llm"))
    {
        var llmSize = long.Parse(args.SkipWhile(a => a != "--llm-size").Skip(1).FirstOrDefault() ?? "200000", CultureInfo.InvariantCulture);
        var llmProfile = args.SkipWhile(a => a != "--llm-profile").Skip(1).FirstOrDefault() ?? "h100";
        var llmConcurrency = int.Parse(args.SkipWhile(a => a != "--llm-concurrency").Skip(1).FirstOrDefault() ?? "256", CultureInfo.InvariantCulture);
        var llmShare = args.SkipWhile(a => a != "--llm-share").Skip(1).FirstOrDefault();
        await LlmScenarioAsync(llmSize, llmProfile, llmConcurrency, llmShare);
    }
    // --only compare: per-contact vs grouped, 200,000 and 1,000,000 contacts, the three model profiles, a 10-minute
    // deadline (a campaign due in 25 minutes), the stand-in sped up 10x; --compare-sizes, --compare-profiles,
    // --compare-deadline-minutes and --compare-time-scale vary it.
    if (only is not null && Selected("compare"))
    {
        var sizes = (args.SkipWhile(a => a != "--compare-sizes").Skip(1).FirstOrDefault() ?? "200000,1000000").Split(',').Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var profiles = (args.SkipWhile(a => a != "--compare-profiles").Skip(1).FirstOrDefault() ?? "h100,a100,small").Split(',');
        var deadline = TimeSpan.FromMinutes(double.Parse(args.SkipWhile(a => a != "--compare-deadline-minutes").Skip(1).FirstOrDefault() ?? "10", CultureInfo.InvariantCulture));
        var scale = double.Parse(args.SkipWhile(a => a != "--compare-time-scale").Skip(1).FirstOrDefault() ?? "10", CultureInfo.InvariantCulture);
        Line("");
        Line(string.Create(CultureInfo.InvariantCulture, $"Per-contact vs grouped generation, the model side only, deadline {deadline.TotalMinutes:0} min, model stand-in at time scale {scale:0} (figures in real time):"));
        Line("");
        Line("| mode | model | contacts | contacts/s | model calls | calls per contact | output tokens per contact | distinct texts | model-written at the deadline | wall time |");
        Line("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
        foreach (var profile in profiles)
        {
            foreach (var size in sizes)
            {
                foreach (var mode in new[] { "per contact", "grouped" })
                {
                    Line(PersonalizerComparison.Row(await PersonalizerComparison.RunAsync(mode, profile, size, deadline, scale)));
                }
            }
        }
    }
    // --only impact-join: the holdout's events inserted and joined in SQLite for 1,000,000 recipients (--impact-size N).
    if (only is not null && Selected("impact-join"))
    {
        var impactSize = int.Parse(args.SkipWhile(a => a != "--impact-size").Skip(1).FirstOrDefault() ?? "1000000", CultureInfo.InvariantCulture);
        Line("");
        Line("Holdout events in SQLite (HoldoutEventStore): a run's contacts, a send's events appended in batches of 5,000, then the join with the run's contacts and the comparison:");
        Line("");
        Line("| recipients | held out | events | contacts inserted | events inserted | join and comparison | open rate personalized / control | timeline points | peak working set | database |");
        Line("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        Line(await ImpactJoinBenchmark.RunAsync(impactSize));
    }
    if (Selected("neighbour"))
    {
        await NeighbourScenarioAsync(200_000, 0.3);
    }
    if (Selected("cancel"))
    {
        await CancelScenarioAsync(5);
    }
    if (Selected("fanout"))
    {
        await FanOutAsync(circuits, TimeSpan.FromSeconds(20));
    }
}

if (outFile is not null)
{
    await File.WriteAllTextAsync(outFile, report.ToString());
}
return 0;

/// <summary>Samples this process's working set every 50 ms; the peak is the figure reported.</summary>
internal sealed class WorkingSetSampler : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public WorkingSetSampler()
    {
        _loop = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            while (!_stop.IsCancellationRequested)
            {
                process.Refresh();
                _peak = Math.Max(_peak, process.WorkingSet64);
                try
                {
                    await Task.Delay(50, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        });
    }

    public double PeakMegabytes => _peak / 1024.0 / 1024.0;

    public void Dispose()
    {
        _stop.Cancel();
        _loop.Wait();
        _stop.Dispose();
    }
}
