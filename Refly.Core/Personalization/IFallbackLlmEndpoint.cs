namespace Refly.Core.Personalization;

/// <summary>
/// The OpenAI-compatible endpoint the LLM personalizer uses when it is chosen but no endpoint (and no API key for
/// api.openai.com) is configured: in demo mode, the Dashboard's built-in model stand-in. Core only sees this interface.
/// </summary>
public interface IFallbackLlmEndpoint
{
    /// <summary>The endpoint now, or null when there is none (outside demo mode, or not started yet).</summary>
    FallbackLlmEndpoint? Current { get; }
}

/// <summary>A fallback endpoint: its OpenAI-compatible base URL (ending in <c>/v1</c>), the model to ask for, a key if it needs one.</summary>
/// <param name="Endpoint">Base URL, e.g. <c>http://127.0.0.1:41234/v1</c>.</param>
/// <param name="ModelId">The model id.</param>
/// <param name="ApiKey">The key, or null.</param>
public sealed record FallbackLlmEndpoint(Uri Endpoint, string ModelId, string? ApiKey = null);
