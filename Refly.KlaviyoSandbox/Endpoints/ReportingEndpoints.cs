using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// query_campaign_values (POST /api/campaign-values-reports), computed from the events the campaign sends generated,
/// so a report and get_events always agree. The pipeline has checked the body against the spec's schema (statistics
/// enum, timeframe key or start/end, required fields); this adds the rules the schema's descriptions state: the
/// conversion metric must exist, group_by must hold campaign_id and campaign_message_id, the filter takes only the
/// listed attributes and operators (equals and contains-any on scalars, contains-any and contains-all on tags), one
/// filter per attribute, at most 100 items per list, and a timeframe of at most a year. Campaigns count when their send
/// time lies in the timeframe; their events count up to now.
/// </summary>
public static class ReportingEndpoints
{
    private static readonly string[] _scalarAttributes =
        ["send_channel", "campaign_id", "campaign_message_id", "campaign_message_name", "variation", "variation_name", "text_message_format"];

    private static readonly HashSet<string> _channels = new(StringComparer.Ordinal) { "email", "sms", "push-notification", "whatsapp" };

    private static readonly Dictionary<string, HashSet<string>> _allowedFilters = BuildAllowedFilters();

    public static void MapReportingEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapPost("/api/campaign-values-reports", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var attributes = request.RequireBody().GetProperty("data").GetProperty("attributes");
            var statistics = attributes.GetProperty("statistics").EnumerateArray().Select(s => s.GetString()!).ToList();
            if (statistics.Count == 0)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/statistics", "At least one statistic is required.");
            }
            if (statistics.Distinct(StringComparer.Ordinal).Count() != statistics.Count)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/statistics", "Each statistic may be requested only once.");
            }
            var conversionId = attributes.GetProperty("conversion_metric_id").GetString() ?? "";
            var conversion = SandboxMetrics.Find(conversionId)
                ?? throw KlaviyoApiException.InvalidBody("/data/attributes/conversion_metric_id", $"Metric {conversionId} does not exist in this account.");
            var now = store.TimeProvider.GetUtcNow();
            var (start, end) = Timeframe(attributes.GetProperty("timeframe"), now);
            var groupBy = GroupBy(attributes);
            var filter = attributes.TryGetProperty("filter", out var f) && f.ValueKind == JsonValueKind.String ? ParseFilter(f.GetString()!) : [];

            var results = new JsonArray();
            var campaigns = new List<string>();
            var nowUnix = now.ToUnixTimeSeconds();
            foreach (var send in store.GetCampaignSends().Where(s => s.SendTime >= start && s.SendTime < end))
            {
                var tags = store.GetCampaign(send.CampaignId) is { } campaign
                    ? campaign.TagIds.Select(id => store.GetTag(id)).OfType<SandboxTag>().ToList()
                    : [];
                var tally = send.Tally(nowUnix, conversion.Code);
                var any = false;
                for (var m = 0; m < send.Messages.Count; m++)
                {
                    var message = send.Messages[m];
                    if (!filter.All(c => Matches(c, send, message, tags)))
                    {
                        continue;
                    }
                    any = true;
                    var stats = Statistics(statistics, tally, m);
                    // Grouping by a tag gives one row per tag of the campaign (a campaign without tags: one row with null).
                    List<SandboxTag?> tagRows = groupBy.Contains("tag_id") || groupBy.Contains("tag_name") ? [.. tags] : [];
                    if (tagRows.Count == 0)
                    {
                        tagRows.Add(null);
                    }
                    foreach (var tag in tagRows)
                    {
                        var groupings = new JsonObject();
                        foreach (var g in groupBy)
                        {
                            groupings[g] = g switch
                            {
                                "campaign_id" => send.CampaignId,
                                "campaign_message_id" or "variation" => message.Id,
                                "campaign_message_name" or "variation_name" => message.Label,
                                "send_channel" => "email",
                                "tag_id" => tag?.Id,
                                "tag_name" => tag?.Name,
                                _ => null,
                            };
                        }
                        results.Add(new JsonObject { ["groupings"] = groupings, ["statistics"] = stats.DeepClone() });
                    }
                }
                if (any)
                {
                    campaigns.Add(send.CampaignId);
                }
            }

            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["type"] = "campaign-values-report",
                    ["attributes"] = ApplyFields(new JsonObject { ["results"] = results }, request.Fields("campaign-values-report")),
                    ["relationships"] = new JsonObject
                    {
                        ["campaigns"] = new JsonObject
                        {
                            ["data"] = new JsonArray([.. campaigns.Select(id => Identifier("campaign", id))]),
                            ["links"] = new JsonObject
                            {
                                ["self"] = $"{BaseUrl(http)}/api/campaign-values-reports/relationships/campaigns/",
                                ["related"] = $"{BaseUrl(http)}/api/campaign-values-reports/campaigns/",
                            },
                        },
                    },
                },
                ["links"] = new JsonObject { ["self"] = Self(http) },
            });
        });
    }

    private static JsonObject Statistics(List<string> names, SendTally tally, int m)
    {
        double Count(byte metric) => tally.Counts[m, metric];
        static double Ratio(double a, double b) => b == 0 ? 0 : a / b;
        var recipients = Count(SandboxMetrics.ReceivedEmail);
        var delivered = recipients;
        var opens = Count(SandboxMetrics.OpenedEmail);
        var clicks = Count(SandboxMetrics.ClickedEmail);
        var conversionValue = tally.ConversionValueCents[m] / 100.0;
        var conversionUniques = (double)tally.ConversionUniques[m];
        var stats = new JsonObject();
        foreach (var name in names)
        {
            // Every recipient gets one open, click or order at most, so the unique counts equal the totals.
            double value = name switch
            {
                "recipients" => recipients,
                "delivered" => delivered,
                "delivery_rate" => Ratio(delivered, recipients),
                "opens" or "opens_unique" => opens,
                "open_rate" => Ratio(opens, delivered),
                "clicks" or "clicks_unique" => clicks,
                "click_rate" => Ratio(clicks, delivered),
                "click_to_open_rate" => Ratio(clicks, opens),
                "conversions" => ConversionCount(tally, m),
                "conversion_uniques" => conversionUniques,
                "conversion_rate" => Ratio(conversionUniques, delivered),
                "conversion_value" => conversionValue,
                "revenue_per_recipient" => Ratio(conversionValue, delivered),
                "average_order_value" => Ratio(conversionValue, ConversionCount(tally, m)),
                _ => 0, // bounces, failures, spam complaints, unsubscribes and SMS statistics: none in the sandbox's email sends
            };
            stats[name] = value;
        }
        return stats;
    }

    private static double ConversionCount(SendTally tally, int m) => tally.ConversionCount[m];

    private static (DateTimeOffset Start, DateTimeOffset End) Timeframe(JsonElement timeframe, DateTimeOffset now)
    {
        // The account's timezone is UTC.
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        if (timeframe.TryGetProperty("key", out var key))
        {
            var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
            var month = new DateTimeOffset(today.Year, today.Month, 1, 0, 0, 0, TimeSpan.Zero);
            var year = new DateTimeOffset(today.Year, 1, 1, 0, 0, 0, TimeSpan.Zero);
            return key.GetString() switch
            {
                "today" => (today, now),
                "yesterday" => (today.AddDays(-1), today),
                "this_week" => (monday, now),
                "last_week" => (monday.AddDays(-7), monday),
                "this_month" => (month, now),
                "last_month" => (month.AddMonths(-1), month),
                "this_year" => (year, now),
                "last_year" => (year.AddYears(-1), year),
                "last_7_days" => (today.AddDays(-7), today),
                "last_30_days" => (today.AddDays(-30), today),
                "last_90_days" => (today.AddDays(-90), today),
                "last_365_days" => (today.AddDays(-365), today),
                "last_3_months" => (month.AddMonths(-3), month),
                "last_12_months" => (month.AddMonths(-12), month),
                var other => throw KlaviyoApiException.InvalidBody("/data/attributes/timeframe/key", $"'{other}' is not a valid timeframe key."),
            };
        }
        // "Offset is ignored and the company timezone is used": the wall-clock time is read as UTC.
        var start = Wall(timeframe.GetProperty("start"));
        var end = Wall(timeframe.GetProperty("end"));
        if (end <= start)
        {
            throw KlaviyoApiException.InvalidBody("/data/attributes/timeframe", "The timeframe's end must be after its start.");
        }
        if (end - start > TimeSpan.FromDays(366))
        {
            throw KlaviyoApiException.InvalidBody("/data/attributes/timeframe", "The timeframe may span at most one year.");
        }
        return (start, end);

        static DateTimeOffset Wall(JsonElement value) =>
            new(DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture).DateTime, TimeSpan.Zero);
    }

    private static List<string> GroupBy(JsonElement attributes)
    {
        if (!attributes.TryGetProperty("group_by", out var groupBy) || groupBy.ValueKind == JsonValueKind.Null)
        {
            return ["campaign_id", "campaign_message_id", "send_channel"];
        }
        var list = groupBy.EnumerateArray().Select(g => g.GetString()!).ToList();
        if (list.Distinct(StringComparer.Ordinal).Count() != list.Count)
        {
            throw KlaviyoApiException.InvalidBody("/data/attributes/group_by", "Each group-by attribute may be given only once.");
        }
        foreach (var required in new[] { "campaign_id", "campaign_message_id" })
        {
            if (!list.Contains(required))
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/group_by", $"The following group by attributes are required: campaign_id, campaign_message_id; '{required}' is missing.");
            }
        }
        if (list.FirstOrDefault(g => g is "group" or "group_name") is { } unserved)
        {
            throw KlaviyoApiException.InvalidBody("/data/attributes/group_by", $"Grouping by '{unserved}' is not served by the Refly sandbox.");
        }
        return list;
    }

    private static IReadOnlyList<FilterCondition> ParseFilter(string text)
    {
        IReadOnlyList<FilterCondition> conditions;
        try
        {
            conditions = KlaviyoFilter.Parse(text, _allowedFilters);
        }
        catch (KlaviyoApiException e)
        {
            // The filter is a body attribute here, not a query parameter.
            throw KlaviyoApiException.InvalidBody("/data/attributes/filter", e.Detail);
        }
        var attributes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in conditions)
        {
            if (!attributes.Add(c.Field))
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/filter", $"Only one filter can be used per attribute; '{c.Field}' has more.");
            }
            if (c.Operator is "contains-any" or "contains-all")
            {
                if (c.Value is not List<object?> list || list.Count == 0)
                {
                    throw KlaviyoApiException.InvalidBody("/data/attributes/filter", $"'{c.Operator}' on '{c.Field}' needs a list value, e.g. {c.Operator}({c.Field},[\"a\",\"b\"]).");
                }
                if (list.Count > 100)
                {
                    throw KlaviyoApiException.InvalidBody("/data/attributes/filter", $"A list filter takes at most 100 items; '{c.Field}' has {list.Count}.");
                }
            }
            else if (c.Value is not string)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/filter", $"'equals' on '{c.Field}' needs a quoted string value.");
            }
            if (c.Field == "send_channel" && c.StringList.FirstOrDefault(v => !_channels.Contains(v)) is { } channel)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/filter", $"'{channel}' is not a send channel; allowed values are email, sms, push-notification, whatsapp.");
            }
        }
        return conditions;
    }

    private static bool Matches(FilterCondition c, SandboxCampaignSend send, SentMessage message, IReadOnlyList<SandboxTag> tags)
    {
        if (c.Field is "tag_id" or "tag_name")
        {
            var values = tags.Select(t => c.Field == "tag_id" ? t.Id : t.Name).ToHashSet(StringComparer.Ordinal);
            return c.Operator == "contains-all" ? c.StringList.All(values.Contains) : c.StringList.Any(values.Contains);
        }
        string? actual = c.Field switch
        {
            "campaign_id" => send.CampaignId,
            "campaign_message_id" or "variation" => message.Id,
            "campaign_message_name" or "variation_name" => message.Label,
            "send_channel" => "email",
            _ => null,
        };
        return actual is not null && (c.Operator == "equals" ? c.StringValue == actual : c.StringList.Contains(actual));
    }

    private static Dictionary<string, HashSet<string>> BuildAllowedFilters()
    {
        var allowed = _scalarAttributes.ToDictionary(a => a, _ => new HashSet<string>(StringComparer.Ordinal) { "equals", "contains-any" }, StringComparer.Ordinal);
        allowed["tag_id"] = new HashSet<string>(StringComparer.Ordinal) { "contains-any", "contains-all" };
        allowed["tag_name"] = new HashSet<string>(StringComparer.Ordinal) { "contains-any", "contains-all" };
        return allowed;
    }
}
