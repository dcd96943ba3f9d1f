using System.Text.Json;
using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>Campaign messages: get (with template), content edits and template assignment, both Draft-only.</summary>
public static class CampaignMessageEndpoints
{
    public static void MapCampaignMessageEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/campaign-messages/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var message = store.GetMessage(request.Id) ?? throw KlaviyoApiException.NotFound($"Campaign message {request.Id} does not exist.");
            return WriteMessageAsync(http, store, request, message, 200);
        });

        app.MapPatch("/api/campaign-messages/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            RequireMatchingId(data, request.Id);
            if (data.TryGetProperty("relationships", out _))
            {
                throw KlaviyoApiException.InvalidBody("/data/relationships/image", "Images can only be set on SMS and mobile push messages.");
            }
            var attributes = data.GetProperty("attributes");
            var message = store.UpdateMessage(request.Id, m =>
            {
                if (!attributes.TryGetProperty("definition", out var definition) || definition.ValueKind == JsonValueKind.Null)
                {
                    return;
                }
                if (definition.GetProperty("channel").GetString() != "email")
                {
                    throw KlaviyoApiException.InvalidBody("/data/attributes/definition/channel", "The message is an email message; its channel cannot change.");
                }
                if (definition.TryGetProperty("label", out var label))
                {
                    m.Label = label.ValueKind == JsonValueKind.Null ? null : label.GetString();
                }
                if (definition.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Object)
                {
                    foreach (var member in content.EnumerateObject())
                    {
                        var value = member.Value.ValueKind == JsonValueKind.Null ? null : member.Value.GetString();
                        switch (member.Name)
                        {
                            case "subject": m.Subject = value; break;
                            case "preview_text": m.PreviewText = value; break;
                            case "from_email": m.FromEmail = value; break;
                            case "from_label": m.FromLabel = value; break;
                            case "reply_to_email": m.ReplyToEmail = value; break;
                            case "cc_email": m.CcEmail = value; break;
                            case "bcc_email": m.BccEmail = value; break;
                        }
                    }
                }
            });
            return WriteMessageAsync(http, store, request, message, 200);
        });

        app.MapPost("/api/campaign-message-assign-template", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            var templateId = data.GetProperty("relationships").GetProperty("template").GetProperty("data").GetProperty("id").GetString()!;
            var message = store.AssignTemplate(data.GetProperty("id").GetString()!, templateId);
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = SandboxResources.AssignedMessage(http, message, store.GetCampaign(message.CampaignId)?.SendTime),
                ["links"] = new JsonObject { ["self"] = Self(http) },
            });
        });
    }

    internal static void RequireMatchingId(JsonElement data, string id)
    {
        if (data.GetProperty("id").GetString() != id)
        {
            throw new KlaviyoApiException(409, "conflict", "Conflict.", $"The id in the body does not match the id in the URL ({id}).", pointer: "/data/id");
        }
    }

    private static Task WriteMessageAsync(HttpContext http, SandboxStore store, SandboxRequest request, SandboxMessage message, int status)
    {
        var campaign = store.GetCampaign(message.CampaignId);
        var document = new JsonObject
        {
            ["data"] = SandboxResources.Message(http, message, campaign?.SendTime, request),
            ["links"] = new JsonObject { ["self"] = Self(http) },
        };
        var included = new JsonArray();
        if (request.Includes("template") && message.TemplateId is not null && store.GetTemplate(message.TemplateId) is { } template)
        {
            included.Add(SandboxResources.Template(http, template, request));
        }
        if (request.Includes("campaign") && campaign is not null)
        {
            included.Add(SandboxResources.Campaign(http, campaign, request));
        }
        if (request.Includes("template") || request.Includes("campaign"))
        {
            document["included"] = included;
        }
        return WriteAsync(http, status, document);
    }
}
