using FluentValidation.Results;
using Microsoft.Extensions.Options;
using Refly.Core.Settings;

namespace Refly.Core.Impact;

/// <summary>
/// The conversion metric saved in Settings (<c>Impact:ConversionMetricId</c>), chosen from the account's metrics
/// (get_metrics); without one, "Placed Order" is looked up by name. Applies to the next report read.
/// </summary>
public sealed class ConversionMetricSettings(RuntimeSettings saved, IOptionsMonitor<ImpactOptions> options) : SettingsSection<ConversionMetricSettingsInput>(saved)
{
    /// <summary>Setting key of the conversion metric's id.</summary>
    public const string ConversionMetricId = ImpactOptions.Section + ":ConversionMetricId";

    /// <inheritdoc />
    public override string Name => "Conversion metric";

    /// <inheritdoc />
    public override IReadOnlyList<SettingKey> Keys { get; } = [new(ConversionMetricId)];

    /// <summary>The metric id in use (null: looked up by name), and whether it is saved here.</summary>
    public SettingValue<string?> Current => InUse(options.CurrentValue.ConversionMetricId, ConversionMetricId);

    /// <inheritdoc />
    public override ValidationResult Validate(ConversionMetricSettingsInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var id = input.MetricId?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            return new ValidationResult([new ValidationFailure(nameof(input.MetricId), "Choose one of the account's metrics.")]);
        }
        if (id.Length > 64 || !id.All(char.IsAsciiLetterOrDigit))
        {
            return new ValidationResult([new ValidationFailure(nameof(input.MetricId), $"'{id}' is not a Klaviyo metric id (letters and digits).")]);
        }
        if (input.KnownMetricIds is { } known && !known.Contains(id, StringComparer.Ordinal))
        {
            return new ValidationResult([new ValidationFailure(nameof(input.MetricId), $"The account has no metric '{id}'.")]);
        }
        return new ValidationResult();
    }

    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string?> ToStored(ConversionMetricSettingsInput input) =>
        new Dictionary<string, string?> { [ConversionMetricId] = input?.MetricId?.Trim() };

    /// <summary>Applies the saved metric over configuration.</summary>
    internal static void Apply(RuntimeSettings saved, ImpactOptions options)
    {
        if (saved.Get(ConversionMetricId) is { Length: > 0 } id)
        {
            options.ConversionMetricId = id;
        }
    }
}

/// <summary>What the admin submits: the chosen metric, and the account's metric ids it must be one of (when read).</summary>
public sealed record ConversionMetricSettingsInput(string? MetricId, IReadOnlyCollection<string>? KnownMetricIds = null);
