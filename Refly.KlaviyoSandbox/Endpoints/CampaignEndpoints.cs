using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>Campaigns: list, get, delete, messages of a campaign, recipient estimations.</summary>
public static class CampaignEndpoints
{
    private const string ChannelRequired =
        "A channel filter is required to list campaigns. Please provide either: ?filter=equals(messages.channel,'email') to list email campaigns, " +
        "or ?filter=equals(messages.channel,'sms') to list SMS campaigns, or ?filter=equals(messages.channel,'mobile_push') to list mobile push campaigns.";

    public static void MapCampaignEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/campaigns", (HttpContext http) => ListAsync(http, store));
        app.MapGet("/api/campaigns/{id}", (HttpContext http) => GetAsync(http, store));
        app.MapDelete("/api/campaigns/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            return store.DeleteCampaign(request.Id) ? NoContent(http) : throw KlaviyoApiException.NotFound($"Campaign {request.Id} does not exist.");
        });
        app.MapGet("/api/campaigns/{id}/campaign-messages", (HttpContext http) => MessagesAsync(http, store));
        app.MapGet("/api/campaign-recipient-estimations/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            _ = store.GetCampaign(request.Id) ?? throw KlaviyoApiException.NotFound($"Campaign {request.Id} does not exist.");
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonObject
                {
                    ["type"] = "campaign-recipient-estimation",
                    ["id"] = request.Id,
                    ["attributes"] = ApplyFields(new JsonObject { ["estimated_recipient_count"] = store.EstimateRecipients(request.Id) }, request.Fields("campaign-recipient-estimation")),
                    ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "campaign-recipient-estimation", request.Id) },
                },
                ["links"] = new JsonObject { ["self"] = Self(http) },
            });
        });
        app.MapPost("/api/campaign-recipient-estimation-jobs", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var id = request.RequireBody().GetProperty("data").GetProperty("id").GetString()!;
            store.StartRecipientEstimation(id);
            return WriteAsync(http, 202, EstimationJob(http, id, "queued"));
        });
        app.MapGet("/api/campaign-recipient-estimation-jobs/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            return WriteAsync(http, 200, EstimationJob(http, request.Id, store.RecipientEstimationJobStatus(request.Id)));
        });
    }

    private static JsonObject EstimationJob(HttpContext http, string id, string status) => new()
    {
        ["data"] = new JsonObject
        {
            ["type"] = "campaign-recipient-estimation-job",
            ["id"] = id,
            ["attributes"] = new JsonObject { ["status"] = status },
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "campaign-recipient-estimation-job", id) },
        },
        ["links"] = new JsonObject { ["self"] = Self(http) },
    };

    private static Task ListAsync(HttpContext http, SandboxStore store)
    {
        var request = SandboxRequest.From(http);
        var channel = request.Condition("messages.channel", "equals")
            ?? throw KlaviyoApiException.InvalidParameter("filter", ChannelRequired);
        if (channel.StringValue is not ("email" or "sms" or "mobile_push"))
        {
            throw KlaviyoApiException.InvalidParameter("filter", ChannelRequired);
        }

        // Every sandbox campaign is an email campaign.
        IEnumerable<SandboxCampaign> campaigns = channel.StringValue == "email" ? store.GetCampaigns() : [];
        foreach (var c in request.Filter.Where(c => c.Field != "messages.channel"))
        {
            campaigns = campaigns.Where(x => Matches(x, c));
        }
        var ordered = Sort(campaigns, request.Sort).ToList();

        var position = request.CursorPosition;
        var page = ordered.Skip((int)Math.Min(position, int.MaxValue)).Take(request.PageSize).ToList();
        var document = new JsonObject
        {
            ["data"] = new JsonArray([.. page.Select(c => Campaign(http, c, request))]),
            ["links"] = PageLinks(http, position, page.Count, request.PageSize, ordered.Count),
        };
        AddIncluded(http, store, request, page, document);
        return WriteAsync(http, 200, document);
    }

    private static Task GetAsync(HttpContext http, SandboxStore store)
    {
        var request = SandboxRequest.From(http);
        var campaign = store.GetCampaign(request.Id) ?? throw KlaviyoApiException.NotFound($"Campaign {request.Id} does not exist.");
        var document = new JsonObject { ["data"] = Campaign(http, campaign, request), ["links"] = new JsonObject { ["self"] = Self(http) } };
        AddIncluded(http, store, request, [campaign], document);
        return WriteAsync(http, 200, document);
    }

    private static Task MessagesAsync(HttpContext http, SandboxStore store)
    {
        var request = SandboxRequest.From(http);
        var campaign = store.GetCampaign(request.Id) ?? throw KlaviyoApiException.NotFound($"Campaign {request.Id} does not exist.");
        var document = new JsonObject
        {
            ["data"] = new JsonArray([.. campaign.Messages.Select(m => SandboxResources.Message(http, m, campaign.SendTime, request))]),
            ["links"] = new JsonObject { ["self"] = Self(http) },
        };
        var included = new JsonArray();
        if (request.Includes("campaign"))
        {
            included.Add(Campaign(http, campaign, request));
        }
        if (request.Includes("template"))
        {
            foreach (var t in campaign.Messages.Select(m => m.TemplateId).OfType<string>().Distinct().Select(store.GetTemplate).OfType<SandboxTemplate>())
            {
                included.Add(SandboxResources.Template(http, t, request));
            }
        }
        if (included.Count > 0)
        {
            document["included"] = included;
        }
        return WriteAsync(http, 200, document);
    }

    private static JsonObject Campaign(HttpContext http, SandboxCampaign c, SandboxRequest request) => SandboxResources.Campaign(http, c, request);

    private static void AddIncluded(HttpContext http, SandboxStore store, SandboxRequest request, IReadOnlyList<SandboxCampaign> campaigns, JsonObject document)
    {
        var included = new JsonArray();
        if (request.Includes("campaign-messages"))
        {
            foreach (var c in campaigns)
            {
                foreach (var m in c.Messages)
                {
                    included.Add(SandboxResources.Message(http, m, c.SendTime, request));
                }
            }
        }
        if (request.Includes("tags"))
        {
            foreach (var tagId in campaigns.SelectMany(c => c.TagIds).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                if (store.GetTag(tagId) is { } tag)
                {
                    included.Add(SandboxResources.Tag(http, tag, request));
                }
            }
        }
        if (request.Includes("campaign-messages") || request.Includes("tags"))
        {
            document["included"] = included;
        }
    }

    private static bool Matches(SandboxCampaign c, FilterCondition f)
    {
        DateTimeOffset? Field() => f.Field switch
        {
            "created_at" => c.CreatedAt,
            "scheduled_at" => c.ScheduledAt,
            "updated_at" => c.UpdatedAt,
            _ => null,
        };
        return (f.Field, f.Operator) switch
        {
            ("id", "any") => f.StringList.Contains(c.Id),
            ("name", "contains") => f.StringValue is { } s && c.Name.Contains(s, StringComparison.OrdinalIgnoreCase),
            ("status", "equals") => f.StringValue == c.Status,
            ("status", "any") => f.StringList.Contains(c.Status),
            ("archived", "equals") => f.Value is bool b && b == c.Archived,
            (_, "greater-or-equal") => Field() >= f.DateValue,
            (_, "greater-than") => Field() > f.DateValue,
            (_, "less-or-equal") => Field() <= f.DateValue,
            (_, "less-than") => Field() < f.DateValue,
            _ => throw KlaviyoFilter.Invalid($"Unsupported filter {f.Operator}({f.Field})."),
        };
    }

    private static IEnumerable<SandboxCampaign> Sort(IEnumerable<SandboxCampaign> campaigns, string? sort) => sort switch
    {
        "-created_at" => campaigns.OrderByDescending(c => c.CreatedAt).ThenByDescending(c => c.Id, StringComparer.Ordinal),
        "id" => campaigns.OrderBy(c => c.Id, StringComparer.Ordinal),
        "-id" => campaigns.OrderByDescending(c => c.Id, StringComparer.Ordinal),
        "name" => campaigns.OrderBy(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal),
        "-name" => campaigns.OrderByDescending(c => c.Name, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal),
        "scheduled_at" => campaigns.OrderBy(c => c.ScheduledAt).ThenBy(c => c.Id, StringComparer.Ordinal),
        "-scheduled_at" => campaigns.OrderByDescending(c => c.ScheduledAt).ThenBy(c => c.Id, StringComparer.Ordinal),
        "updated_at" => campaigns.OrderBy(c => c.UpdatedAt).ThenBy(c => c.Id, StringComparer.Ordinal),
        "-updated_at" => campaigns.OrderByDescending(c => c.UpdatedAt).ThenBy(c => c.Id, StringComparer.Ordinal),
        _ => campaigns.OrderBy(c => c.CreatedAt).ThenBy(c => c.Id, StringComparer.Ordinal),
    };
}
