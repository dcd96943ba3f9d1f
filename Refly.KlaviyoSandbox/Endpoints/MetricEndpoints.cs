using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// get_metrics (filter on integration.name / integration.category, one page: the account has fewer metrics than the
/// spec's 200 per page) and get_metric. The sandbox has no flows, so include=flow-triggers adds empty linkage.
/// </summary>
public static class MetricEndpoints
{
    public static void MapMetricEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/metrics", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            if (request.Query.TryGetValue("page[cursor]", out var cursor))
            {
                _ = PageCursor.Decode(cursor);
            }
            static object? Field(SandboxMetric m, string name) => name switch
            {
                "integration.name" => m.IntegrationName,
                "integration.category" => m.IntegrationCategory,
                "id" => m.Id,
                _ => m.Name,
            };
            var metrics = CollectionQuery.Filter(SandboxMetrics.All, request.Filter, Field).ToList();
            var document = new JsonObject
            {
                ["data"] = new JsonArray([.. metrics.Select(m => Metric(http, store, m, request))]),
                ["links"] = new JsonObject { ["self"] = Self(http) },
            };
            if (request.Includes("flow-triggers"))
            {
                document["included"] = new JsonArray();
            }
            return WriteAsync(http, 200, document);
        });

        app.MapGet("/api/metrics/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var metric = SandboxMetrics.Find(request.Id) ?? throw KlaviyoApiException.NotFound($"Metric {request.Id} does not exist.");
            var document = new JsonObject { ["data"] = Metric(http, store, metric, request), ["links"] = new JsonObject { ["self"] = Self(http) } };
            if (request.Includes("flow-triggers"))
            {
                document["included"] = new JsonArray();
            }
            return WriteAsync(http, 200, document);
        });
    }

    /// <summary>A metric resource as get_metrics, get_metric and get_events' include=metric serve it.</summary>
    public static JsonObject Metric(HttpContext http, SandboxStore store, SandboxMetric m, SandboxRequest request)
    {
        var created = store.Epoch - TimeSpan.FromDays(400);
        var attributes = ApplyFields(new JsonObject
        {
            ["name"] = m.Name,
            ["created"] = Date(created),
            ["updated"] = Date(created),
            ["integration"] = new JsonObject
            {
                ["object"] = "integration",
                ["id"] = m.IntegrationId,
                ["key"] = m.IntegrationKey,
                ["name"] = m.IntegrationName,
                ["category"] = m.IntegrationCategory,
            },
        }, request.Fields("metric"));
        var resource = new JsonObject
        {
            ["type"] = "metric",
            ["id"] = m.Id,
            ["attributes"] = attributes,
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "metric", m.Id) },
        };
        if (request.Operation.OperationId is "get_metrics" or "get_metric" && request.Includes("flow-triggers"))
        {
            resource["relationships"] = new JsonObject
            {
                ["flow-triggers"] = new JsonObject { ["data"] = new JsonArray(), ["links"] = RelationshipLinks(http, "metric", m.Id, "flow-triggers") },
            };
        }
        return resource;
    }
}
