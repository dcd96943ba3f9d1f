using System.Globalization;
using System.Text.Json.Nodes;

namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <summary>The spec's limit on the items of one list filter.</summary>
    internal const int MaxCampaignsPerValuesReport = 100;

    /// <inheritdoc />
    public async Task<IReadOnlyList<KlaviyoCampaignValues>> QueryCampaignValuesAsync(KlaviyoCampaignValuesQuery query, CancellationToken cancellationToken)
    {
        var body = CampaignValuesBody(query);
        using var doc = await SendAsync(KlaviyoEndpoints.QueryCampaignValues, HttpMethod.Post, "/api/campaign-values-reports", body, nullOnNotFound: false, cancellationToken)
            .ConfigureAwait(false)
            ?? throw new KlaviyoResponseException("the answer to query_campaign_values has no body.");
        return KlaviyoResponseParser.CampaignValues(doc.RootElement);
    }

    /// <summary>CampaignValuesRequestDTO: statistics, a custom timeframe, the conversion metric, grouped per message, filtered to the campaigns.</summary>
    internal static byte[] CampaignValuesBody(KlaviyoCampaignValuesQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentException.ThrowIfNullOrWhiteSpace(query.ConversionMetricId);
        if (query.CampaignIds.Count is 0 or > MaxCampaignsPerValuesReport)
        {
            throw new ArgumentException($"A campaign values report takes 1 to {MaxCampaignsPerValuesReport} campaigns; got {query.CampaignIds.Count}.", nameof(query));
        }

        if (query.Statistics.Count == 0)
        {
            throw new ArgumentException("A campaign values report needs at least one statistic.", nameof(query));
        }

        if (query.End <= query.Start)
        {
            throw new ArgumentException("The report's timeframe must end after it starts.", nameof(query));
        }

        // The spec's own example quotes filter strings with double quotes.
        var ids = string.Join(',', query.CampaignIds.Select(id => "\"" + id.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""));
        return JsonApiWriter.Document(new JsonApiResource("campaign-values-report")
        {
            Attributes = new JsonObject
            {
                ["statistics"] = new JsonArray([.. query.Statistics.Select(s => (JsonNode?)s)]),
                ["timeframe"] = new JsonObject { ["start"] = ReportDate(query.Start), ["end"] = ReportDate(query.End) },
                ["conversion_metric_id"] = query.ConversionMetricId,
                ["group_by"] = new JsonArray("campaign_id", "campaign_message_id", "send_channel"),
                ["filter"] = $"contains-any(campaign_id,[{ids}])",
            },
        });
    }

    private static string ReportDate(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'+00:00'", CultureInfo.InvariantCulture);
}
