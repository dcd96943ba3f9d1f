using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace Refly.Core.Personalization;

/// <summary>Options of <see cref="LlmPersonalizer"/> (configuration section <see cref="SectionName"/>).</summary>
public sealed class LlmPersonalizerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Personalization:Llm";

    /// <summary>
    /// The most model calls in flight at once (1..1024). The personalizer starts lower and adapts up to it while the
    /// endpoint's latency holds, halving on 429, 5xx and timeouts.
    /// </summary>
    [Range(1, 1024)]
    public int MaxConcurrency { get; set; } = 256;

    /// <summary>Fact groups written by one model call (one JSON-schema array answer); 1 asks once per group.</summary>
    [Range(1, 64)]
    public int GroupsPerCall { get; set; } = 16;

    /// <summary>Tries of one model call that met a 429, a 5xx or a timeout before its groups get the rule-based copy.</summary>
    [Range(1, 10)]
    public int MaxAttempts { get; set; } = 4;

    /// <summary>How long one model call may take before it counts as a timeout (and is tried again, or falls back).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The model id passed in <see cref="ChatOptions.ModelId"/> (required when the chat client is made from <see cref="Endpoint"/>).</summary>
    public string? ModelId { get; set; }

    /// <summary>
    /// Base URL of an OpenAI-compatible endpoint (e.g. <c>http://localhost:11434/v1</c>); null means api.openai.com.
    /// Not used when the host registers its own <see cref="IChatClient"/>.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>API key for <see cref="Endpoint"/>; endpoints without authentication may leave it empty.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Sampling temperature; null uses the model's default.</summary>
    [Range(0.0, 2.0)]
    public float? Temperature { get; set; } = 0.7f;

    /// <summary>Upper bound on generated tokens per fact group (a call may generate this times its groups).</summary>
    [Range(64, 4096)]
    public int MaxOutputTokens { get; set; } = 400;

    /// <summary>
    /// Whether to ask for a JSON-schema response format (true) or put the schema in the prompt (false, for
    /// OpenAI-compatible endpoints without structured output); null lets Microsoft.Extensions.AI decide.
    /// </summary>
    public bool? UseJsonSchemaResponseFormat { get; set; } = true;

    /// <summary>Price of 1,000,000 prompt tokens (any currency; Settings shows it as entered); null shows no cost.</summary>
    [Range(0.0, 10_000.0)]
    public decimal? InputPricePerMillionTokens { get; set; }

    /// <summary>Price of 1,000,000 completion tokens; null shows no cost.</summary>
    [Range(0.0, 10_000.0)]
    public decimal? OutputPricePerMillionTokens { get; set; }

    /// <summary>
    /// What <paramref name="inputTokens"/> and <paramref name="outputTokens"/> cost at the configured prices; null
    /// when no price is set (a missing one of the two counts as free).
    /// </summary>
    public decimal? CostOf(long inputTokens, long outputTokens) =>
        InputPricePerMillionTokens is null && OutputPricePerMillionTokens is null
            ? null
            : Math.Round(((InputPricePerMillionTokens ?? 0) * inputTokens + (OutputPricePerMillionTokens ?? 0) * outputTokens) / 1_000_000m, 4);

    /// <summary>A copy of these options pointed at <paramref name="fallback"/>'s endpoint, model and key.</summary>
    internal LlmPersonalizerOptions WithEndpoint(FallbackLlmEndpoint fallback)
    {
        var copy = (LlmPersonalizerOptions)MemberwiseClone();
        copy.Endpoint = fallback.Endpoint;
        copy.ModelId = fallback.ModelId;
        copy.ApiKey = fallback.ApiKey;
        return copy;
    }
}
