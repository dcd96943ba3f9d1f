using FluentValidation;
using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Refly.Core.Settings;

namespace Refly.Core.Personalization;

/// <summary>
/// The personalizer choice and the LLM endpoint, model and key saved in Settings (the key a secret: encrypted at rest,
/// never logged, only ever shown masked). Previews and runs started afterwards use them.
/// </summary>
public sealed class PersonalizerSettings(
    RuntimeSettings saved,
    IOptionsMonitor<PersonalizationOptions> personalization,
    IOptionsMonitor<LlmPersonalizerOptions> llm,
    IFallbackLlmEndpoint? fallbackLlm = null) : SettingsSection<PersonalizerSettingsInput>(saved)
{
    /// <summary>Setting key of the personalizer choice.</summary>
    public const string Personalizer = "Personalization:Personalizer";

    /// <summary>Setting key of the LLM endpoint.</summary>
    public const string LlmEndpoint = "Personalization:Llm:Endpoint";

    /// <summary>Setting key of the LLM model id.</summary>
    public const string LlmModelId = "Personalization:Llm:ModelId";

    /// <summary>Setting key of the LLM API key (secret).</summary>
    public const string LlmApiKey = "Personalization:Llm:ApiKey";

    /// <summary>Setting key of the price of 1M prompt tokens (optional).</summary>
    public const string LlmInputPrice = "Personalization:Llm:InputPricePerMillionTokens";

    /// <summary>Setting key of the price of 1M completion tokens (optional).</summary>
    public const string LlmOutputPrice = "Personalization:Llm:OutputPricePerMillionTokens";

    private static readonly PersonalizerSettingsValidator _validator = new();
    private static readonly PersonalizerSettingsValidator _validatorWithBuiltInModel = new(builtInModel: true);

    /// <inheritdoc />
    public override string Name => "Personalizer";

    /// <inheritdoc />
    public override IReadOnlyList<SettingKey> Keys { get; } = [new(Personalizer), new(LlmEndpoint), new(LlmModelId), new(LlmApiKey, Secret: true), new(LlmInputPrice), new(LlmOutputPrice)];

    /// <summary>The personalizer and LLM values in use, and whether each is saved here; the LLM key only masked.</summary>
    public PersonalizerSettingsView Current
    {
        get
        {
            var model = llm.CurrentValue;
            return new PersonalizerSettingsView(
                InUse(personalization.CurrentValue.Personalizer, Personalizer),
                InUse(model.Endpoint?.ToString(), LlmEndpoint),
                InUse(model.ModelId, LlmModelId),
                InUse(StoredValue.Mask(model.ApiKey), LlmApiKey))
            {
                InputPrice = InUse(Price(model.InputPricePerMillionTokens), LlmInputPrice),
                OutputPrice = InUse(Price(model.OutputPricePerMillionTokens), LlmOutputPrice),
            };
        }
    }

    /// <inheritdoc />
    public override ValidationResult Validate(PersonalizerSettingsInput input) =>
        // In demo mode an LLM without an endpoint is the built-in model.
        (fallbackLlm?.Current is null ? _validator : _validatorWithBuiltInModel).Validate(input);

    /// <summary>The choice, endpoint and model (empty ones fall back to configuration), and the key only when a new one is given or removed.</summary>
    public override IReadOnlyDictionary<string, string?> ToStored(PersonalizerSettingsInput input)
    {
        var changes = new Dictionary<string, string?>
        {
            [Personalizer] = input.Personalizer,
            [LlmEndpoint] = StoredValue.NullIfBlank(input.Endpoint),
            [LlmModelId] = StoredValue.NullIfBlank(input.ModelId),
            [LlmInputPrice] = StoredValue.NullIfBlank(input.InputPricePerMillionTokens),
            [LlmOutputPrice] = StoredValue.NullIfBlank(input.OutputPricePerMillionTokens),
        };
        if (!string.IsNullOrWhiteSpace(input.NewApiKey))
        {
            changes[LlmApiKey] = input.NewApiKey.Trim();
        }
        else if (input.RemoveApiKey)
        {
            changes[LlmApiKey] = null;
        }
        return changes;
    }

    /// <summary>Applies the saved choice over configuration.</summary>
    internal static void Apply(RuntimeSettings saved, PersonalizationOptions options)
    {
        if (saved.Get(Personalizer) is { } personalizer)
        {
            options.Personalizer = personalizer;
        }
    }

    /// <summary>Applies the saved endpoint, model and key over configuration.</summary>
    internal static void Apply(RuntimeSettings saved, LlmPersonalizerOptions options)
    {
        if (saved.Get(LlmEndpoint) is { } endpoint && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            options.Endpoint = uri;
        }
        if (saved.Get(LlmModelId) is { } model)
        {
            options.ModelId = model;
        }
        if (saved.Get(LlmApiKey) is { } apiKey)
        {
            options.ApiKey = apiKey;
        }
        if (ParsePrice(saved.Get(LlmInputPrice)) is { } input)
        {
            options.InputPricePerMillionTokens = input;
        }
        if (ParsePrice(saved.Get(LlmOutputPrice)) is { } output)
        {
            options.OutputPricePerMillionTokens = output;
        }
    }

    private static string? Price(decimal? price) => price?.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A price as entered (invariant decimal, 0 to 10,000); null when empty or not a price.</summary>
    internal static decimal? ParsePrice(string? value) =>
        decimal.TryParse(value?.Trim(), System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var price)
        && price >= 0 && price <= PersonalizerSettingsValidator.MaxPrice
            ? price
            : null;
}

/// <summary>The personalizer's values in use, as the Settings page shows them.</summary>
/// <param name="Personalizer"><c>rule-based</c> or <c>llm</c>.</param>
/// <param name="LlmEndpoint">OpenAI-compatible base URL, or null (api.openai.com).</param>
/// <param name="LlmModelId">Model id, or null.</param>
/// <param name="MaskedLlmApiKey">The LLM key masked (never in clear), or null when there is none.</param>
public sealed record PersonalizerSettingsView(
    SettingValue<string> Personalizer,
    SettingValue<string?> LlmEndpoint,
    SettingValue<string?> LlmModelId,
    SettingValue<string?> MaskedLlmApiKey)
{
    /// <summary>Whether any of the personalizer's values is saved here (overriding configuration).</summary>
    public bool Saved => Personalizer.Saved || LlmEndpoint.Saved || LlmModelId.Saved || MaskedLlmApiKey.Saved
        || (InputPrice?.Saved ?? false) || (OutputPrice?.Saved ?? false);

    /// <summary>The price of 1M prompt tokens in use (invariant decimal), or a null value when there is none.</summary>
    public SettingValue<string?>? InputPrice { get; init; }

    /// <summary>The price of 1M completion tokens in use (invariant decimal), or a null value when there is none.</summary>
    public SettingValue<string?>? OutputPrice { get; init; }
}

/// <summary>What the admin submits for the personalizer.</summary>
/// <param name="Personalizer"><c>rule-based</c> or <c>llm</c>.</param>
/// <param name="Endpoint">Base URL of an OpenAI-compatible endpoint; empty falls back to configuration.</param>
/// <param name="ModelId">Model id; empty falls back to configuration.</param>
/// <param name="NewApiKey">A new LLM API key; empty keeps the saved one (see <paramref name="RemoveApiKey"/>).</param>
/// <param name="RemoveApiKey">Forget the saved key (configuration, or no key, applies again).</param>
/// <param name="InputPricePerMillionTokens">Optional price of 1M prompt tokens (e.g. "0.15"); empty shows no cost.</param>
/// <param name="OutputPricePerMillionTokens">Optional price of 1M completion tokens (e.g. "0.60"); empty shows no cost.</param>
public sealed record PersonalizerSettingsInput(
    string? Personalizer,
    string? Endpoint,
    string? ModelId,
    string? NewApiKey = null,
    bool RemoveApiKey = false,
    string? InputPricePerMillionTokens = null,
    string? OutputPricePerMillionTokens = null);

/// <summary>The personalizer choice and the LLM endpoint, model and key.</summary>
public sealed class PersonalizerSettingsValidator : AbstractValidator<PersonalizerSettingsInput>
{
    /// <summary>The highest price per 1M tokens accepted.</summary>
    public const decimal MaxPrice = 10_000m;

    /// <param name="builtInModel">Whether a built-in model stands in when no endpoint is given (demo mode); then the endpoint, and the model without one, may be empty.</param>
    public PersonalizerSettingsValidator(bool builtInModel = false)
    {
        RuleFor(input => input.Personalizer)
            .Must(p => p is RuleBasedPersonalizer.PersonalizerName or LlmPersonalizer.PersonalizerName)
            .WithMessage("Choose the rule-based or the LLM personalizer.");
        When(input => input.Personalizer == LlmPersonalizer.PersonalizerName
            && !(builtInModel && string.IsNullOrWhiteSpace(input.Endpoint)), () =>
        {
            RuleFor(input => input.Endpoint)
                .Must(endpoint => !string.IsNullOrWhiteSpace(endpoint))
                .WithMessage("The LLM personalizer needs an endpoint: the base URL of an OpenAI-compatible API (e.g. http://localhost:11434/v1).");
            RuleFor(input => input.ModelId)
                .Must(model => !string.IsNullOrWhiteSpace(model))
                .WithMessage("The LLM personalizer needs a model (e.g. llama3.1 or gpt-4o-mini).");
        });
        RuleFor(input => input.Endpoint)
            .Must(BeAnHttpUrl).When(input => !string.IsNullOrWhiteSpace(input.Endpoint))
            .WithMessage("The LLM endpoint must be an absolute http:// or https:// URL, without a user name or password in it.");
        RuleFor(input => input.ModelId)
            .Must(model => model!.Trim().Length <= 200 && !model.Any(char.IsControl)).When(input => !string.IsNullOrWhiteSpace(input.ModelId))
            .WithMessage("That is not a model id (too long, or it has control characters).");
        RuleFor(input => input.NewApiKey)
            .Must(key => key!.Trim().Length <= 500 && !key.Trim().Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            .When(input => !string.IsNullOrWhiteSpace(input.NewApiKey))
            .WithMessage("An API key has no spaces and is at most 500 characters.");
        RuleFor(input => input.InputPricePerMillionTokens)
            .Must(BeAPrice).When(input => !string.IsNullOrWhiteSpace(input.InputPricePerMillionTokens))
            .WithMessage("The input price is per 1,000,000 tokens: a number from 0 to 10,000 with a dot for decimals (e.g. 0.15), or empty.");
        RuleFor(input => input.OutputPricePerMillionTokens)
            .Must(BeAPrice).When(input => !string.IsNullOrWhiteSpace(input.OutputPricePerMillionTokens))
            .WithMessage("The output price is per 1,000,000 tokens: a number from 0 to 10,000 with a dot for decimals (e.g. 0.60), or empty.");
    }

    private static bool BeAPrice(string? value) => PersonalizerSettings.ParsePrice(value) is not null;

    private static bool BeAnHttpUrl(string? endpoint) =>
        Uri.TryCreate(endpoint?.Trim(), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
        && string.IsNullOrEmpty(uri.UserInfo);
}
