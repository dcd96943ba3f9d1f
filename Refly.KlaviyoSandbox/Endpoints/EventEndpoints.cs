using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// get_events and get_event over the events that campaign sends generated (<see cref="SandboxStore.GetCampaignSends"/>):
/// the spec's filters (metric_id, profile_id, datetime and timestamp ranges), sort by datetime or timestamp (default
/// ascending), page[size] 1 to 1000, cursor pagination, include=metric,profile (attributions: empty linkage; the
/// sandbox records no attributions). Only events up to "now" are visible: a send's later opens appear as time passes.
/// Events always carry their profile and metric linkage, as Klaviyo's do.
/// </summary>
public static class EventEndpoints
{
    private const string CursorPrefix = "rfev1:";

    public static void MapEventEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/events", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var sends = store.GetCampaignSends();
            var filter = ReadFilter(request, store);
            if (filter is null)
            {
                return WriteAsync(http, 200, new JsonObject { ["data"] = new JsonArray(), ["links"] = new JsonObject { ["self"] = Self(http) } });
            }
            var (hits, more) = SandboxEventQuery.Page(sends, filter, request.PageSize);
            var links = new JsonObject { ["self"] = Self(http) };
            if (more && hits.Count > 0)
            {
                links["next"] = WithCursor(http, EncodeCursor(hits[^1].Key, filter.Descending));
            }
            var document = new JsonObject
            {
                ["data"] = new JsonArray([.. hits.Select(h => Event(http, h, request))]),
                ["links"] = links,
            };
            AddIncluded(http, store, request, hits, document);
            return WriteAsync(http, 200, document);
        });

        app.MapGet("/api/events/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var hit = Find(store, request.Id) ?? throw KlaviyoApiException.NotFound($"Event {request.Id} does not exist.");
            var document = new JsonObject { ["data"] = Event(http, hit, request), ["links"] = new JsonObject { ["self"] = Self(http) } };
            AddIncluded(http, store, request, [hit], document);
            return WriteAsync(http, 200, document);
        });
    }

    /// <summary>Event id: the send's ordinal and the event's index in it (hex), so a lookup needs no table.</summary>
    public static string EventId(int send, int index) => string.Create(CultureInfo.InvariantCulture, $"4{send:X4}{index:X8}");

    private static EventHit? Find(SandboxStore store, string id)
    {
        if (id.Length != 13 || id[0] != '4'
            || !int.TryParse(id.AsSpan(1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var ordinal)
            || !int.TryParse(id.AsSpan(5, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var index))
        {
            return null;
        }
        var sends = store.GetCampaignSends();
        if (ordinal >= sends.Count || index < 0 || index >= sends[ordinal].EventCount)
        {
            return null;
        }
        var send = sends[ordinal];
        var unix = send.UnixSecondsOf(send.Events[index]);
        return unix > store.TimeProvider.GetUtcNow().ToUnixTimeSeconds() ? null : new EventHit(send, index, new EventKey(unix, ordinal, index));
    }

    /// <summary>The request's filter as bounds; null when it cannot match anything (an unknown metric or profile).</summary>
    private static EventFilter? ReadFilter(SandboxRequest request, SandboxStore store)
    {
        var from = 0L;
        var to = store.TimeProvider.GetUtcNow().ToUnixTimeSeconds();
        byte? metric = null;
        long? profile = null;
        var impossible = false;
        foreach (var c in request.Filter)
        {
            switch (c.Field)
            {
                case "metric_id":
                    var m = c.StringValue is { } metricId ? SandboxMetrics.Find(metricId) : null;
                    impossible |= m is null || (metric is { } other && other != m.Code);
                    metric = m?.Code;
                    break;
                case "profile_id":
                    if (c.StringValue is { } profileId && ProfileGenerator.TryParseId(profileId, out var index))
                    {
                        impossible |= profile is { } p && p != index;
                        profile = index;
                    }
                    else
                    {
                        impossible = true;
                    }
                    break;
                case "datetime" or "timestamp":
                    var ticks = c.Field == "timestamp" && c.Value is long seconds ? seconds * TimeSpan.TicksPerSecond
                        : c.DateValue is { } date ? date.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks
                        : throw KlaviyoFilter.Invalid($"'{c.Field}' needs a datetime value, e.g. greater-or-equal({c.Field},2024-01-01T00:00:00Z).");
                    var floor = (long)Math.Floor(ticks / (double)TimeSpan.TicksPerSecond);
                    var ceiling = (long)Math.Ceiling(ticks / (double)TimeSpan.TicksPerSecond);
                    switch (c.Operator)
                    {
                        case "greater-than": from = Math.Max(from, floor + 1); break;
                        case "greater-or-equal": from = Math.Max(from, ceiling); break;
                        case "less-than": to = Math.Min(to, ceiling - 1); break;
                        case "less-or-equal": to = Math.Min(to, floor); break;
                    }
                    break;
                default:
                    // profile/metric "has" test relationship attributes the sandbox's events do not record.
                    throw KlaviyoFilter.Invalid($"'{c.Operator}({c.Field},...)' is not served by the Refly sandbox; filter on metric_id, profile_id, datetime or timestamp.");
            }
        }
        if (impossible || from > to)
        {
            return null;
        }
        var descending = request.Sort?.StartsWith('-') == true;
        EventKey? after = null;
        if (request.Query.TryGetValue("page[cursor]", out var cursor))
        {
            (after, var cursorDescending) = DecodeCursor(cursor);
            if (cursorDescending != descending)
            {
                throw KlaviyoApiException.InvalidParameter("page[cursor]", "The cursor belongs to a request with another sort.");
            }
        }
        return new EventFilter(from, to, metric, profile, descending, after);
    }

    private static string EncodeCursor(EventKey key, bool descending) =>
        System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(
            string.Create(CultureInfo.InvariantCulture, $"{CursorPrefix}{(descending ? 'd' : 'a')}:{key.UnixSeconds}:{key.Send}:{key.Index}")));

    private static (EventKey Key, bool Descending) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(cursor));
            var parts = text.StartsWith(CursorPrefix, StringComparison.Ordinal) ? text[CursorPrefix.Length..].Split(':') : [];
            if (parts.Length == 4 && parts[0] is "a" or "d")
            {
                return (new EventKey(long.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture),
                    int.Parse(parts[3], CultureInfo.InvariantCulture)), parts[0] == "d");
            }
        }
        catch (FormatException)
        {
        }
        throw KlaviyoApiException.InvalidParameter("page[cursor]", "Invalid page cursor.");
    }

    private static JsonObject Event(HttpContext http, EventHit hit, SandboxRequest request)
    {
        var send = hit.Send;
        var e = hit.Record;
        var message = send.MessageOf(e.Recipient);
        var id = EventId(send.Ordinal, hit.Index);
        var metric = SandboxMetrics.ByCode(e.Metric);
        var properties = new JsonObject { ["$event_id"] = id };
        if (e.Metric == SandboxMetrics.PlacedOrder)
        {
            properties["$value"] = e.ValueCents / 100.0;
            properties["$currency_code"] = "USD";
            properties["$attributed_message"] = message.Id;
            properties["$attributed_channel"] = "email";
            properties["ItemNames"] = new JsonArray("Merino Hoodie");
        }
        else
        {
            properties["$message"] = message.Id;
            properties["Campaign Name"] = send.CampaignName;
            properties["Subject"] = message.Subject;
            properties["Email Domain"] = "refly-demo.example";
            if (e.Metric == SandboxMetrics.ClickedEmail)
            {
                properties["URL"] = "https://refly-demo.shop";
            }
        }
        var unix = hit.Key.UnixSeconds;
        var attributes = ApplyFields(new JsonObject
        {
            ["timestamp"] = unix,
            ["event_properties"] = properties,
            ["datetime"] = DateTimeOffset.FromUnixTimeSeconds(unix).ToString("yyyy-MM-ddTHH:mm:ss+00:00", CultureInfo.InvariantCulture),
            ["uuid"] = Uuid(send.Ordinal, hit.Index, unix),
        }, request.Fields("event"));
        var profileId = send.ProfileIdOf(e.Recipient);
        var relationships = new JsonObject
        {
            ["profile"] = new JsonObject { ["data"] = Identifier("profile", profileId), ["links"] = RelationshipLinks(http, "event", id, "profile") },
            ["metric"] = new JsonObject { ["data"] = Identifier("metric", metric.Id), ["links"] = RelationshipLinks(http, "event", id, "metric") },
        };
        if (request.Includes("attributions"))
        {
            relationships["attributions"] = new JsonObject { ["data"] = new JsonArray(), ["links"] = RelationshipLinks(http, "event", id, "attributions") };
        }
        return new JsonObject
        {
            ["type"] = "event",
            ["id"] = id,
            ["attributes"] = attributes,
            ["relationships"] = relationships,
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "event", id) },
        };
    }

    // A time-based (version 1 shaped) uuid in spirit: unique per event and stable across requests.
    private static string Uuid(int send, int index, long unix)
    {
        Span<byte> bytes = stackalloc byte[16];
        BitConverter.TryWriteBytes(bytes[..8], unix);
        BitConverter.TryWriteBytes(bytes.Slice(8, 4), send);
        BitConverter.TryWriteBytes(bytes.Slice(12, 4), index);
        return new Guid(bytes).ToString();
    }

    private static void AddIncluded(HttpContext http, SandboxStore store, SandboxRequest request, IReadOnlyList<EventHit> hits, JsonObject document)
    {
        if (!request.Query.ContainsKey("include"))
        {
            return;
        }
        var included = new JsonArray();
        if (request.Includes("metric"))
        {
            foreach (var code in hits.Select(h => h.Record.Metric).Distinct().Order())
            {
                included.Add(MetricEndpoints.Metric(http, store, SandboxMetrics.ByCode(code), request));
            }
        }
        if (request.Includes("profile"))
        {
            var fields = SparseFieldset.Parse(request.Fields("profile"));
            foreach (var index in hits.Select(h => h.Send.Recipients[h.Record.Recipient]).Distinct())
            {
                included.Add(SandboxResources.Profile(http, store.ProfileForPage(index), null, fields));
            }
        }
        document["included"] = included;
    }
}
