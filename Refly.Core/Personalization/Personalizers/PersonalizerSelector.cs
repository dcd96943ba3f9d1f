using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Refly.Core.Personalization;

/// <summary>
/// The personalizer to use now: <see cref="PersonalizationOptions.Personalizer"/> and the LLM endpoint, model and key
/// as the options monitors see them (configuration, overridden by values saved in Settings). A run asks once, when it
/// starts, and keeps that personalizer to its end; a change applies to the runs and previews that start afterwards.
/// With no endpoint and no API key configured, the LLM personalizer calls the <see cref="IFallbackLlmEndpoint"/> when
/// there is one (demo mode's built-in model). Every LLM personalizer it makes shares the <see cref="IGenerationCache"/>,
/// so a settings change keeps the generations of the same model.
/// </summary>
public sealed class PersonalizerSelector(
    RuleBasedPersonalizer ruleBased,
    IOptionsMonitor<PersonalizationOptions> options,
    IOptionsMonitor<LlmPersonalizerOptions> llmOptions,
    TimeProvider time,
    ILoggerFactory loggerFactory,
    IChatClient? hostChatClient = null,
    IFallbackLlmEndpoint? fallbackEndpoint = null,
    IGenerationCache? generationCache = null)
{
    private readonly Lock _lock = new();
    private (LlmPersonalizerOptions Options, FallbackLlmEndpoint? Fallback, LlmPersonalizer Personalizer)? _llm;

    /// <summary>The configured personalizer; throws <see cref="InvalidOperationException"/> when the LLM one is chosen without a model or client.</summary>
    public IPersonalizer Current =>
        options.CurrentValue.Personalizer == LlmPersonalizer.PersonalizerName ? CurrentLlm() : ruleBased;

    /// <summary>The LLM personalizer as configured now, whatever <see cref="PersonalizationOptions.Personalizer"/> says; false when no model can be made.</summary>
    public bool TryGetLlm([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LlmPersonalizer? personalizer)
    {
        try
        {
            personalizer = CurrentLlm();
            return true;
        }
        catch (InvalidOperationException)
        {
            personalizer = null;
            return false;
        }
    }

    private LlmPersonalizer CurrentLlm()
    {
        // The monitor hands out the same instance until a change, so the instance identifies the settings it was made from.
        var current = llmOptions.CurrentValue;
        var fallback = hostChatClient is null && current.Endpoint is null && string.IsNullOrWhiteSpace(current.ApiKey)
            ? fallbackEndpoint?.Current
            : null;
        lock (_lock)
        {
            if (_llm is { } cached && ReferenceEquals(cached.Options, current) && cached.Fallback == fallback)
            {
                return cached.Personalizer;
            }
            var effective = fallback is null ? current : current.WithEndpoint(fallback);
            // The previous one is not disposed: a run in progress may still be using it.
            var personalizer = new LlmPersonalizer(
                hostChatClient ?? PersonalizerServiceCollectionExtensions.CreateChatClient(effective),
                Options.Create(effective),
                time,
                loggerFactory.CreateLogger<LlmPersonalizer>(),
                ruleBased,
                generationCache);
            _llm = (current, fallback, personalizer);
            return personalizer;
        }
    }
}
