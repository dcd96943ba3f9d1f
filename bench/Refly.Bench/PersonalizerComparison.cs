using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;
using Refly.KlaviyoSandbox.Store;
using Refly.ModelSandbox;

namespace Refly.Bench;

/// <summary>
/// Issue 15 item 10: the model side of a run, side by side. "per contact" is the loop before issue 15 (one generation
/// per contact, one contact per call, 4 in flight); "grouped" is today's LLM personalizer (one generation per fact group,
/// 16 groups per call, adaptive concurrency up to 64). Both get the sandbox's generated audience (the demo's fact mix)
/// in pages of 100 from 8 readers, as a run's pipeline does, against the in-process model stand-in with a capacity
/// profile, sped up by a time scale (every figure is converted back to real time). Klaviyo is left out: the full-run
/// rows above say what Klaviyo allows; this says what the model allows.
/// </summary>
internal static class PersonalizerComparison
{
    private const int PageSize = 100;
    private const int Readers = 8;
    private static readonly MessageContent _original = new("Early access: 30% off everything", "Members shop first, from Thursday.");

    public sealed record Result(
        string Mode, string Profile, long Size, double ContactsPerSecond, long ModelCalls, double CallsPerContact, double OutputTokensPerContact,
        long DistinctTexts, double CoverageAtDeadline, double RealSeconds, bool Finished, long RuleBased);

    public static async Task<Result> RunAsync(string mode, string profile, long size, TimeSpan deadline, double timeScale)
    {
        await using var model = await ModelSandboxServer.StartAsync(new ModelSandboxOptions { Profile = profile, TimeScale = timeScale });
        var perContact = mode == "per contact";
        var options = new LlmPersonalizerOptions
        {
            Endpoint = model.Endpoint,
            ModelId = model.ModelId,
            MaxConcurrency = perContact ? 4 : 64,
            GroupsPerCall = perContact ? 1 : 16,
        };
        var chat = new OpenAI.Chat.ChatClient(
            model.ModelId,
            new ApiKeyCredential("bench"),
            new OpenAIClientOptions { Endpoint = model.Endpoint, RetryPolicy = new ClientRetryPolicy(maxRetries: 0), NetworkTimeout = TimeSpan.FromMinutes(5) }).AsIChatClient();
        var personalizer = new LlmPersonalizer(chat, Options.Create(options), TimeProvider.System);

        // Before issue 15 the pipeline asked for one contact at a time, 4 at once; today a page of 100 at a time from 8 readers.
        var pageSize = perContact ? 1 : PageSize;
        var readers = perContact ? 4 : Readers;
        var pages = (size + pageSize - 1) / pageSize;
        long nextPage = -1, fromModel = 0, ruleBased = 0, written = 0;
        var texts = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var epoch = DateTimeOffset.UtcNow;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(deadline.TotalSeconds / timeScale));
        var wall = Stopwatch.StartNew();

        async Task ReaderAsync()
        {
            while (!stop.IsCancellationRequested)
            {
                var page = Interlocked.Increment(ref nextPage);
                if (page >= pages)
                {
                    return;
                }

                var requests = new List<PersonalizationRequest>(pageSize);
                for (var i = page * pageSize; i < Math.Min(size, (page + 1) * pageSize); i++)
                {
                    requests.Add(new PersonalizationRequest(ProfileOf(ProfileGenerator.Generate(1, i, epoch), perContact), "msg-1", "Black Friday early access", _original));
                }

                IReadOnlyList<PersonalizedContent> results;
                try
                {
                    results = await personalizer.PersonalizeBatchAsync(requests, stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                foreach (var result in results)
                {
                    if (result.Source == ContentSource.Model)
                    {
                        Interlocked.Increment(ref fromModel);
                        texts.TryAdd(string.Concat(result.Subject, "\u001F", result.PreviewText, "\u001F", result.IntroHtml), 0);
                    }
                    else if (result.Source == ContentSource.RuleBased)
                    {
                        Interlocked.Increment(ref ruleBased);
                    }
                }

                Interlocked.Add(ref written, results.Count);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, readers).Select(_ => Task.Run(ReaderAsync)));
        wall.Stop();
        var finished = written == size;
        var realSeconds = wall.Elapsed.TotalSeconds * timeScale;
        var usage = personalizer.Stats.Snapshot();
        var done = Math.Max(1, written);
        return new Result(
            mode, profile, size, written / realSeconds, usage.ModelCalls, usage.ModelCalls / (double)done, usage.OutputTokens / (double)done,
            texts.Count, fromModel / (double)size, realSeconds, finished, ruleBased);
    }

    /// <summary>The product's view of a generated profile; per contact, each contact's facts are its own (its own generation, as before issue 15).</summary>
    private static KlaviyoProfile ProfileOf(SandboxProfile p, bool ownFacts)
    {
        var properties = p.Properties.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null : Convert.ToString(kv.Value, CultureInfo.InvariantCulture), StringComparer.Ordinal);
        if (ownFacts)
        {
            properties["last_product_viewed"] = string.Create(CultureInfo.InvariantCulture, $"{properties.GetValueOrDefault("last_product_viewed") ?? "item"} no. {p.Index}");
        }

        return new KlaviyoProfile(p.Id, p.Email, p.FirstName, p.LastName, p.City, p.Country, null, properties);
    }

    public static string Row(Result r) => string.Create(CultureInfo.InvariantCulture,
        $"| {r.Mode} | {r.Profile} | {r.Size:N0} | {r.ContactsPerSecond:N1} | {r.ModelCalls:N0} | {r.CallsPerContact:0.0000} | {r.OutputTokensPerContact:0.00} | {r.DistinctTexts:N0} | {r.CoverageAtDeadline:P1} | {(r.Finished ? Duration(r.RealSeconds) : $"> {Duration(r.RealSeconds)} (at the deadline); all: ~{Duration(r.Size / Math.Max(r.ContactsPerSecond, 1e-9))}")} |");

    private static string Duration(double seconds) => seconds switch
    {
        < 120 => string.Create(CultureInfo.InvariantCulture, $"{seconds:0} s"),
        < 7200 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 60:0.0} min"),
        < 172_800 => string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600:0.0} h"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400:0.0} days"),
    };
}
