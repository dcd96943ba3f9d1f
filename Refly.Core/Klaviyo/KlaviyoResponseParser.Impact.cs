using System.Globalization;
using System.Text.Json;

namespace Refly.Core.Klaviyo;

/// <summary>Metrics, events and campaign values reports: what measuring a campaign's impact reads.</summary>
internal static partial class KlaviyoResponseParser
{
    /// <summary>A page of GET /api/metrics.</summary>
    public static KlaviyoPage<KlaviyoMetric> Metrics(JsonElement root) =>
        new(DataArray(root).EnumerateArray().Select(Metric).ToList(), JsonApi.NextCursor(root));

    /// <summary>
    /// A page of GET /api/events filtered on <paramref name="metricId"/>: an event that states no metric linkage is of
    /// that metric; an event without a datetime is not usable and is an error.
    /// </summary>
    public static KlaviyoPage<KlaviyoEvent> Events(JsonElement root, string metricId) =>
        new(DataArray(root).EnumerateArray().Select(e => Event(e, metricId)).ToList(), JsonApi.NextCursor(root));

    /// <summary>The rows of a campaign values report; a row without campaign_id or campaign_message_id is an error.</summary>
    public static List<KlaviyoCampaignValues> CampaignValues(JsonElement root)
    {
        var attributes = JsonApi.RequireObject(Data(root), "attributes", "campaign-values-report");
        var rows = new List<KlaviyoCampaignValues>();
        foreach (var row in JsonApi.RequireArray(attributes, "results", "campaign-values-report.attributes").EnumerateArray())
        {
            const string what = "campaign-values-report.results[]";
            var groupings = JsonApi.RequireObject(JsonApi.RequireObject(row, what), "groupings", what);
            var statistics = JsonApi.RequireObject(row, "statistics", what);
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var stat in statistics.EnumerateObject())
            {
                // Klaviyo answers null for a statistic it cannot compute (e.g. a rate without recipients).
                values[stat.Name] = stat.Value.ValueKind switch
                {
                    JsonValueKind.Number => stat.Value.GetDouble(),
                    JsonValueKind.Null => double.NaN,
                    _ => throw new KlaviyoResponseException($"{what}.statistics.{stat.Name} is not a number."),
                };
            }
            rows.Add(new KlaviyoCampaignValues(
                JsonApi.RequireString(groupings, "campaign_id", what + ".groupings"),
                JsonApi.RequireString(groupings, "campaign_message_id", what + ".groupings"),
                JsonApi.OptionalString(groupings, "send_channel", what + ".groupings"),
                values));
        }
        return rows;
    }

    private static KlaviyoMetric Metric(JsonElement element)
    {
        var id = JsonApi.RequireString(JsonApi.RequireObject(element, "metric"), "id", "metric");
        var what = $"metric {id}.attributes";
        var attributes = JsonApi.OptionalObject(element, "attributes", $"metric {id}");
        var integration = attributes is null ? null : JsonApi.OptionalObject(attributes.Value, "integration", what);
        return new KlaviyoMetric(
            id,
            attributes is null ? "" : JsonApi.OptionalString(attributes.Value, "name", what) ?? "",
            integration is null ? null : JsonApi.OptionalString(integration.Value, "name", what + ".integration"),
            integration is null ? null : JsonApi.OptionalString(integration.Value, "category", what + ".integration"));
    }

    private static KlaviyoEvent Event(JsonElement element, string metricId)
    {
        var id = JsonApi.RequireString(JsonApi.RequireObject(element, "event"), "id", "event");
        var what = $"event {id}";
        var attributes = JsonApi.RequireObject(element, "attributes", what);
        var properties = JsonApi.OptionalObject(attributes, "event_properties", what + ".attributes");
        return new KlaviyoEvent(
            id,
            JsonApi.ToOneId(element, "metric", what) ?? metricId,
            JsonApi.ToOneId(element, "profile", what),
            JsonApi.RequireDate(attributes, "datetime", what + ".attributes"),
            properties is null ? null : Text(properties.Value, "$message"),
            properties is null ? null : Text(properties.Value, "$attributed_message"),
            properties is null ? null : Decimal(properties.Value, "$value", what));
    }

    // Event properties are free-form: an id may arrive as a string or a number.
    private static string? Text(JsonElement properties, string name) =>
        properties.TryGetProperty(name, out var value) ? JsonApi.AsText(value) : null;

    private static decimal? Decimal(JsonElement properties, string name, string what)
    {
        if (!properties.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDecimal(out var number) => number,
            JsonValueKind.String when decimal.TryParse(value.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new KlaviyoResponseException($"{what}.event_properties.{name} is not a number."),
        };
    }
}
