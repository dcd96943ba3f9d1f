using System.Collections.Concurrent;

namespace Refly.Core.Personalization;

/// <summary>
/// What an <see cref="LlmPersonalizer"/> has done since it was made (it lives until the LLM settings change): fact
/// groups, model calls, cache hits, tokens, fallbacks by reason and the adaptive concurrency. Thread-safe counters;
/// <see cref="Snapshot"/> reads them all (a run can diff two snapshots).
/// </summary>
public sealed class LlmPersonalizerStats
{
    private readonly ConcurrentDictionary<string, long> _rejections = new(StringComparer.Ordinal);
    private long _distinctGroups;
    private long _modelCalls;
    private long _cacheHits;
    private long _groupsGenerated;
    private long _inputTokens;
    private long _outputTokens;
    private long _throttled;
    private long _retries;
    private long _contactsFromModel;
    private long _contactsRuleBased;

    internal AdaptiveConcurrency? Concurrency { get; set; }

    internal void AddDistinctGroup() => Interlocked.Increment(ref _distinctGroups);

    internal void AddModelCall() => Interlocked.Increment(ref _modelCalls);

    internal void AddCacheHit() => Interlocked.Increment(ref _cacheHits);

    internal void AddGenerated(int groups) => Interlocked.Add(ref _groupsGenerated, groups);

    internal void AddTokens(long input, long output)
    {
        Interlocked.Add(ref _inputTokens, input);
        Interlocked.Add(ref _outputTokens, output);
    }

    internal void AddThrottled() => Interlocked.Increment(ref _throttled);

    internal void AddRetry() => Interlocked.Increment(ref _retries);

    internal void AddContacts(long fromModel, long ruleBased)
    {
        Interlocked.Add(ref _contactsFromModel, fromModel);
        Interlocked.Add(ref _contactsRuleBased, ruleBased);
    }

    internal void AddRejection(string reason, int groups = 1) => _rejections.AddOrUpdate(reason, groups, (_, n) => n + groups);

    /// <summary>The counters now.</summary>
    public LlmUsage Snapshot() => new(
        Interlocked.Read(ref _distinctGroups),
        Interlocked.Read(ref _modelCalls),
        Interlocked.Read(ref _cacheHits),
        Interlocked.Read(ref _groupsGenerated),
        Interlocked.Read(ref _inputTokens),
        Interlocked.Read(ref _outputTokens),
        Interlocked.Read(ref _throttled),
        Interlocked.Read(ref _retries),
        Interlocked.Read(ref _contactsFromModel),
        Interlocked.Read(ref _contactsRuleBased),
        new Dictionary<string, long>(_rejections, StringComparer.Ordinal),
        Concurrency?.Limit ?? 0,
        Concurrency?.PeakInFlight ?? 0,
        Concurrency?.Backoffs ?? 0);
}

/// <summary>A snapshot of <see cref="LlmPersonalizerStats"/>.</summary>
/// <param name="DistinctGroups">Fact groups (per message, brief and model) this personalizer has met.</param>
/// <param name="ModelCalls">Model calls made (each try counts).</param>
/// <param name="CacheHits">Groups whose copy came from the SQLite cache (written by an earlier batch, run or process) instead of a call.</param>
/// <param name="GroupsGenerated">Groups whose copy a model call wrote and the guardrails accepted.</param>
/// <param name="InputTokens">Prompt tokens, as the answers counted them.</param>
/// <param name="OutputTokens">Completion tokens, as the answers counted them.</param>
/// <param name="Throttled">429 answers.</param>
/// <param name="Retries">Calls tried again after a 429, 5xx or timeout.</param>
/// <param name="ContactsFromModel">Contacts (times messages) given model-written copy.</param>
/// <param name="ContactsRuleBased">Contacts (times messages) given the rule-based copy because their group had no usable model copy.</param>
/// <param name="GroupFallbacksByReason">Groups that fell back to the rule-based copy, by reason (e.g. "invalid output: InventedNumber", "throttled").</param>
/// <param name="ConcurrencyLimit">The adaptive concurrency limit now.</param>
/// <param name="PeakConcurrency">The most calls that were in flight at once.</param>
/// <param name="Backoffs">How many times the concurrency limit was halved.</param>
public sealed record LlmUsage(
    long DistinctGroups,
    long ModelCalls,
    long CacheHits,
    long GroupsGenerated,
    long InputTokens,
    long OutputTokens,
    long Throttled,
    long Retries,
    long ContactsFromModel,
    long ContactsRuleBased,
    IReadOnlyDictionary<string, long> GroupFallbacksByReason,
    int ConcurrencyLimit,
    int PeakConcurrency,
    int Backoffs);
