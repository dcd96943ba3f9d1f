using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>Tags: list/filter by name, get, and the campaign relationship (read, add, remove).</summary>
public static class TagEndpoints
{
    public static void MapTagEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/tags", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            object? Field(SandboxTag t, string name) => name == "id" ? t.Id : t.Name;
            var tags = CollectionQuery.Sort(CollectionQuery.Filter(store.GetTags(), request.Filter, Field), request.Sort, Field, "name");
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
