using System.Globalization;

namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <summary>The spec's largest page of get_events.</summary>
    internal const int MaxEventsPageSize = 1000;

    /// <inheritdoc />
    public async Task<KlaviyoPage<KlaviyoEvent>> GetEventsPageAsync(KlaviyoEventQuery query, string? cursor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(query.MetricId);
        if (query.To <= query.From)
        {
            throw new ArgumentException("The event window's end must be after its start.", nameof(query));
        }

        var pathAndQuery = "/api/events" + Query(
            ("fields[event]", "datetime,event_properties"),
            ("filter", EventFilter(query)),
            ("page[cursor]", string.IsNullOrEmpty(cursor) ? null : cursor),
            ("page[size]", MaxEventsPageSize.ToString(CultureInfo.InvariantCulture)),
            ("sort", "datetime"));
        using var doc = await GetRequiredAsync(KlaviyoEndpoints.GetEvents, pathAndQuery, cancellationToken).ConfigureAwait(false);
        return KlaviyoResponseParser.Events(doc.RootElement, query.MetricId);
    }

    /// <summary>
    /// <c>equals(metric_id,'…')</c>, the datetime window as bare ISO 8601 literals (Klaviyo's filter syntax for dates)
    /// and, when set, <c>equals(profile_id,'…')</c>.
    /// </summary>
    internal static string EventFilter(KlaviyoEventQuery query)
    {
        var conditions = new List<string>
        {
            $"equals(metric_id,{FilterString(query.MetricId)})",
            $"greater-or-equal(datetime,{FilterDate(query.From)})",
            $"less-than(datetime,{FilterDate(query.To)})",
        };
        if (!string.IsNullOrWhiteSpace(query.ProfileId))
        {
            conditions.Add($"equals(profile_id,{FilterString(query.ProfileId)})");
        }

        return $"and({string.Join(',', conditions)})";
    }
}
