namespace Refly.ModelSandbox;

/// <summary>
/// The capacity of one inference server serving one 8B model, in simulated time: how many sequences it decodes at
/// once (continuous batching), how many requests wait beyond them, the output tokens per second all running sequences
/// share, the most one sequence can decode alone, and the time to first token (queueing excluded).
/// </summary>
/// <param name="Name">Profile name (<c>h100</c>, <c>a100</c>, <c>small</c>).</param>
/// <param name="MaxSequences">Sequences decoded at once; more wait in the queue.</param>
/// <param name="QueueCapacity">Requests that may wait for a sequence; beyond it the server answers 429 with Retry-After.</param>
/// <param name="AggregateOutputTokensPerSecond">Output tokens per second shared by all running sequences.</param>
/// <param name="PerSequenceOutputTokensPerSecond">The most one sequence decodes per second, however idle the server.</param>
/// <param name="TimeToFirstToken">Prefill time of a sequence once it runs, before its first output token.</param>
public sealed record ModelProfile(
    string Name,
    int MaxSequences,
    int QueueCapacity,
    double AggregateOutputTokensPerSecond,
    double PerSequenceOutputTokensPerSecond,
    TimeSpan TimeToFirstToken)
{
    /// <summary>
    /// vLLM, 8B model, one H100 at high concurrency: ~12,500 output tokens/s over 256 sequences (~49 tokens/s each
    /// when full; a lone sequence decodes at ~120 tokens/s).
    /// </summary>
    public static ModelProfile H100 { get; } = new("h100", 256, 1024, 12_500, 120, TimeSpan.FromMilliseconds(60));

    /// <summary>vLLM, 8B model, one A100: ~800 output tokens/s, here over 32 sequences (25 tokens/s each when full).</summary>
    public static ModelProfile A100 { get; } = new("a100", 32, 128, 800, 60, TimeSpan.FromMilliseconds(150));

    /// <summary>Ollama on a small box: ~41 output tokens/s in all, 4 parallel sequences (its default), a short queue.</summary>
    public static ModelProfile Small { get; } = new("small", 4, 16, 41, 41, TimeSpan.FromMilliseconds(400));

    /// <summary>The named profiles.</summary>
    public static IReadOnlyList<ModelProfile> All { get; } = [H100, A100, Small];

    /// <summary>The profile called <paramref name="name"/> (case-insensitive); throws when there is none.</summary>
    public static ModelProfile ByName(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"Unknown model profile '{name}'; use {string.Join(", ", All.Select(p => p.Name))}.", nameof(name));

    internal void Validate()
    {
        if (MaxSequences < 1 || QueueCapacity < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSequences), "A profile needs at least one sequence and a queue of 0 or more.");
        }
        if (!(AggregateOutputTokensPerSecond > 0) || !(PerSequenceOutputTokensPerSecond > 0) || TimeToFirstToken < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(AggregateOutputTokensPerSecond), "Token rates must be positive and the time to first token not negative.");
        }
    }
}
