using System.Text.Json;
using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>Templates: CODE (html) templates only; list, get, create, update, delete, clone.</summary>
public static class TemplateEndpoints
{
    public static void MapTemplateEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/templates", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            static object? Field(SandboxTemplate t, string name) => name switch
            {
                "id" => t.Id,
                "name" => t.Name,
                "created" => t.Created,
                _ => t.Updated,
            };
            var templates = CollectionQuery.Sort(CollectionQuery.Filter(store.GetTemplates(reusableOnly: true), request.Filter, Field), request.Sort, Field, "created");
            var all = templates.ToList();
            var position = request.CursorPosition;
            var page = all.Skip((int)Math.Min(position, int.MaxValue)).Take(request.PageSize).ToList();
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonArray([.. page.Select(t => SandboxResources.Template(http, t, request))]),
                ["links"] = PageLinks(http, position, page.Count, request.PageSize, all.Count),
            });
        });

        app.MapGet("/api/templates/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var template = store.GetTemplate(request.Id) ?? throw KlaviyoApiException.NotFound($"Template {request.Id} does not exist.");
            return Single(http, 200, template, request);
        });

        app.MapPost("/api/templates", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var attributes = request.RequireBody().GetProperty("data").GetProperty("attributes");
            if (attributes.GetProperty("editor_type").GetString() != "CODE")
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/editor_type", "The sandbox creates CODE templates only (editor_type \"CODE\" with html).");
            }
            var html = Text(attributes, "html") ?? throw KlaviyoApiException.InvalidBody("/data/attributes/html", "'html' is required for a CODE template.");
            var template = store.AddTemplate(attributes.GetProperty("name").GetString()!, html, Text(attributes, "text"));
            return Single(http, 201, template, request);
        });

        app.MapPatch("/api/templates/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            CampaignMessageEndpoints.RequireMatchingId(data, request.Id);
            var attributes = data.GetProperty("attributes");
            if (attributes.TryGetProperty("definition", out _))
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/definition", "A CODE template has no drag-and-drop definition.");
            }
            var template = store.UpdateTemplate(request.Id, t =>
            {
                t.Name = Text(attributes, "name") ?? t.Name;
                t.Html = Text(attributes, "html") ?? t.Html;
                if (attributes.TryGetProperty("text", out _))
                {
                    t.Text = Text(attributes, "text");
                }
            });
            return Single(http, 200, template, request);
        });

        app.MapDelete("/api/templates/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            return store.DeleteTemplate(request.Id) ? NoContent(http) : throw KlaviyoApiException.NotFound($"Template {request.Id} does not exist.");
        });

        app.MapPost("/api/template-clone", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            var name = data.TryGetProperty("attributes", out var a) ? Text(a, "name") : null;
            return Single(http, 201, store.CloneTemplate(data.GetProperty("id").GetString()!, name), request);
        });
    }

    private static string? Text(JsonElement attributes, string name) =>
        attributes.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Task Single(HttpContext http, int status, SandboxTemplate template, SandboxRequest request) =>
        WriteAsync(http, status, new JsonObject { ["data"] = SandboxResources.Template(http, template, request), ["links"] = new JsonObject { ["self"] = Self(http) } });
}
