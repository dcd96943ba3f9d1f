namespace Refly.Core.Klaviyo;

/// <summary>
/// A campaign values report (POST /api/campaign-values-reports) for up to 100 campaigns, grouped per campaign message.
/// </summary>
/// <param name="CampaignIds">1 to 100 campaigns (one <c>contains-any(campaign_id,[...])</c> filter).</param>
/// <param name="Statistics">Statistic names of the spec, e.g. recipients, open_rate, conversion_rate.</param>
/// <param name="ConversionMetricId">The metric conversions are counted with (e.g. the account's "Placed Order").</param>
/// <param name="Start">Start of the custom timeframe: campaigns sent from then on.</param>
/// <param name="End">End of the custom timeframe (at most a year after the start).</param>
public sealed record KlaviyoCampaignValuesQuery(
    IReadOnlyList<string> CampaignIds, IReadOnlyList<string> Statistics, string ConversionMetricId, DateTimeOffset Start, DateTimeOffset End);

/// <summary>One row of a campaign values report: a campaign message and its statistics by name.</summary>
/// <param name="CampaignId">The row's campaign.</param>
/// <param name="MessageId">The row's campaign message.</param>
/// <param name="SendChannel">The send channel grouping, when Klaviyo returns it ("email").</param>
/// <param name="Statistics">Each requested statistic; rates are fractions in [0, 1].</param>
public sealed record KlaviyoCampaignValues(string CampaignId, string MessageId, string? SendChannel, IReadOnlyDictionary<string, double> Statistics);
