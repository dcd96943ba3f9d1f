using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenAI;
using Refly.Core.Persistence;
using Refly.Core.Settings;

namespace Refly.Core.Personalization;

/// <summary>Registration of the personalizers and the pure personalization services.</summary>
public static class PersonalizerServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PersonalizationOptions"/> and <see cref="LlmPersonalizerOptions"/> (validated at start; saved in the
    /// UI through <see cref="PersonalizerSettings"/>),
    /// <see cref="SendTimeCheck"/>, the rule-based personalizer, the <see cref="PersonalizerSelector"/> that picks the
    /// personalizer in force (settings may change at run time), and <see cref="IPersonalizer"/> as the one chosen now.
    /// The LLM personalizer uses an <see cref="IChatClient"/> registered by the host when there is one, else an
    /// OpenAI-compatible client made from <c>Personalization:Llm:Endpoint</c>, <c>ApiKey</c> and <c>ModelId</c>.
    /// </summary>
    public static IServiceCollection AddPersonalizers(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<PersonalizationOptions>()
            .Bind(configuration.GetSection(PersonalizationOptions.SectionName))
            .ValidateDataAnnotations()
            .Validate(
                o => o.Personalizer is RuleBasedPersonalizer.PersonalizerName or LlmPersonalizer.PersonalizerName,
                $"Personalization:Personalizer must be '{RuleBasedPersonalizer.PersonalizerName}' or '{LlmPersonalizer.PersonalizerName}'.")
            .ValidateOnStart();
        services.AddOptions<LlmPersonalizerOptions>()
            .Bind(configuration.GetSection(LlmPersonalizerOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSettingsSection<PersonalizerSettings>()
            .AddStoredSettingsOverride<PersonalizationOptions>(PersonalizerSettings.Apply)
            .AddStoredSettingsOverride<LlmPersonalizerOptions>(PersonalizerSettings.Apply);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SendTimeCheck>();
        services.TryAddSingleton<RuleBasedPersonalizer>();
        // The SQLite cache when the host has the database (the product always does), else none.
        services.TryAddSingleton<IGenerationCache>(sp =>
            sp.GetService<IDbContextFactory<ReflyDbContext>>() is { } contexts
                ? new SqliteGenerationCache(contexts, sp.GetRequiredService<TimeProvider>())
                : NoGenerationCache.Instance);
        services.TryAddSingleton(sp => new PersonalizerSelector(
            sp.GetRequiredService<RuleBasedPersonalizer>(),
            sp.GetRequiredService<IOptionsMonitor<PersonalizationOptions>>(),
            sp.GetRequiredService<IOptionsMonitor<LlmPersonalizerOptions>>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            sp.GetService<IChatClient>(),
            sp.GetService<IFallbackLlmEndpoint>(),
            sp.GetRequiredService<IGenerationCache>()));
        // Transient: whoever resolves it gets the personalizer chosen now (runs and previews ask the selector themselves).
        services.TryAddTransient(sp => sp.GetRequiredService<PersonalizerSelector>().Current);
        return services;
    }

    /// <summary>An OpenAI-compatible chat client for <paramref name="options"/>' endpoint, key and model.</summary>
    internal static IChatClient CreateChatClient(LlmPersonalizerOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.ModelId))
        {
            throw new InvalidOperationException(
                $"The LLM personalizer needs {LlmPersonalizerOptions.SectionName}:ModelId (and Endpoint/ApiKey for an OpenAI-compatible endpoint), or an IChatClient registered by the host.");
        }

        // No retries inside the client: the personalizer's adaptive concurrency must see every 429 and 5xx (and its
        // Retry-After) to back off, and it tries again itself.
        var clientOptions = new OpenAIClientOptions { RetryPolicy = new ClientRetryPolicy(maxRetries: 0) };
        if (options.Endpoint is not null)
        {
            clientOptions.Endpoint = options.Endpoint;
        }

        // Local OpenAI-compatible servers often need no key, but the client requires a non-empty credential.
        var key = string.IsNullOrWhiteSpace(options.ApiKey) ? "no-key" : options.ApiKey;
        return new OpenAI.Chat.ChatClient(options.ModelId, new ApiKeyCredential(key), clientOptions).AsIChatClient();
    }
}
