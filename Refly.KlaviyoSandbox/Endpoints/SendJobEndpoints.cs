using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>Campaign send jobs: schedule/send a Draft, revert or cancel a Scheduled campaign, read the job status.</summary>
public static class SendJobEndpoints
{
    public static void MapSendJobEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapPost("/api/campaign-send-jobs", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var id = request.RequireBody().GetProperty("data").GetProperty("id").GetString()!;
            store.CreateSendJob(id);
            return WriteAsync(http, 202, Job(http, id, store.SendJobStatus(id) ?? "queued"));
        });

        app.MapGet("/api/campaign-send-jobs/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var status = store.SendJobStatus(request.Id) ?? throw KlaviyoApiException.NotFound($"Campaign {request.Id} has no send job; it is a Draft.");
            return WriteAsync(http, 200, Job(http, request.Id, status));
        });

        app.MapPatch("/api/campaign-send-jobs/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            CampaignMessageEndpoints.RequireMatchingId(data, request.Id);
            switch (data.GetProperty("attributes").GetProperty("action").GetString())
            {
                case "revert":
                    store.RevertSendJob(request.Id);
                    break;
                default:
                    store.CancelSendJob(request.Id);
                    break;
            }
            return NoContent(http);
        });
    }

    private static JsonObject Job(HttpContext http, string id, string status) => new()
    {
        ["data"] = new JsonObject
        {
            ["type"] = "campaign-send-job",
            ["id"] = id,
            ["attributes"] = new JsonObject { ["status"] = status },
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "campaign-send-job", id) },
        },
        ["links"] = new JsonObject { ["self"] = Self(http) },
    };
}
