using System.Text.Json.Nodes;
using Refly.Dashboard.Sandbox.Http;
using Refly.Dashboard.Sandbox.JsonApi;
using Refly.Dashboard.Sandbox.Store;
using static Refly.Dashboard.Sandbox.JsonApi.JsonApiResponse;

namespace Refly.Dashboard.Sandbox.Endpoints;

/// <summary>Tags: list/filter by name, get, and the campaign relationship (read, add, remove).</summary>
public static class TagEndpoints
{
    public static void MapTagEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/tags", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            IEnumerable<SandboxTag> tags = store.GetTags().OrderBy(t => t.Name, StringComparer.Ordinal).ThenBy(t => t.Id, StringComparer.Ordinal);
            if (request.Sort == "-name")
            {
                tags = tags.Reverse();
            }
            foreach (var f in request.Filter)
            {
                var value = f.StringValue ?? "";
                tags = f.Operator switch
                {
                    "equals" => tags.Where(t => t.Name == value),
                    "contains" => tags.Where(t => t.Name.Contains(value, StringComparison.Ordinal)),
                    "starts-with" => tags.Where(t => t.Name.StartsWith(value, StringComparison.Ordinal)),
                    _ => tags.Where(t => t.Name.EndsWith(value, StringComparison.Ordinal)),
                };
            }
            var all = tags.ToList();
            var position = request.CursorPosition;
            var page = all.Skip((int)Math.Min(position, int.MaxValue)).Take(request.PageSize).ToList();
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonArray([.. page.Select(t => SandboxResources.Tag(http, t, request))]),
                ["links"] = PageLinks(http, position, page.Count, request.PageSize, all.Count),
            });
        });

        app.MapGet("/api/tags/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var tag = store.GetTag(request.Id) ?? throw KlaviyoApiException.NotFound($"Tag {request.Id} does not exist.");
            return WriteAsync(http, 200, new JsonObject { ["data"] = SandboxResources.Tag(http, tag, request), ["links"] = new JsonObject { ["self"] = Self(http) } });
        });

        app.MapGet("/api/tags/{id}/relationships/campaigns", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            _ = store.GetTag(request.Id) ?? throw KlaviyoApiException.NotFound($"Tag {request.Id} does not exist.");
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonArray([.. store.CampaignIdsForTag(request.Id).Select(id => JsonApiResponse.Identifier("campaign", id))]),
                ["links"] = new JsonObject { ["self"] = Self(http) },
            });
        });

        app.MapPost("/api/tags/{id}/relationships/campaigns", (HttpContext http) => ChangeAsync(http, store, add: true));
        app.MapDelete("/api/tags/{id}/relationships/campaigns", (HttpContext http) => ChangeAsync(http, store, add: false));
    }

    private static Task ChangeAsync(HttpContext http, SandboxStore store, bool add)
    {
        var request = SandboxRequest.From(http);
        var ids = request.RequireBody().GetProperty("data").EnumerateArray().Select(e => e.GetProperty("id").GetString()!).ToList();
        store.SetTagOnCampaigns(request.Id, ids, add);
        return NoContent(http);
    }
}
