using System.Text.Json;
using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using Refly.KlaviyoSandbox.Templating;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// render_template (POST /api/template-render): a template's html and text rendered with the given context, answered
/// as the template resource (201), as Klaviyo does. A template the renderer cannot read is a 400.
/// </summary>
public static class TemplateRenderEndpoints
{
    public static void MapTemplateRenderEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapPost("/api/template-render", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            var id = data.GetProperty("id").GetString()!;
            var context = data.GetProperty("attributes").GetProperty("context");
            if (context.ValueKind != JsonValueKind.Object)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/context", "'context' must be a JSON object.");
            }
            var template = store.GetTemplate(id) ?? throw KlaviyoApiException.NotFound($"Template {id} does not exist.");
            SandboxTemplate rendered;
            try
            {
                rendered = new SandboxTemplate
                {
                    Id = template.Id,
                    Name = template.Name,
                    EditorType = template.EditorType,
                    Html = KlaviyoTemplateRenderer.Render(template.Html, context),
                    Text = template.Text is null ? null : KlaviyoTemplateRenderer.Render(template.Text, context),
                    Amp = template.Amp,
                    Created = template.Created,
                    Updated = template.Updated,
                };
            }
            catch (TemplateSyntaxException ex)
            {
                throw KlaviyoApiException.InvalidBody("/data/id", $"Template {id} could not be rendered: {ex.Message}");
            }
            return WriteAsync(http, 201, new JsonObject
            {
                ["data"] = SandboxResources.Template(http, rendered, request),
                ["links"] = new JsonObject { ["self"] = Self(http) },
            });
        });
    }
}
