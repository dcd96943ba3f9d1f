using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>GET /api/accounts: the one account the sandbox key belongs to.</summary>
public static class AccountEndpoints
{
    public static void MapAccountEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/accounts", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var account = new JsonObject
            {
                ["type"] = "account",
                ["id"] = store.AccountId,
                ["attributes"] = ApplyFields(new JsonObject
                {
                    ["test_account"] = true,
                    ["contact_information"] = new JsonObject
                    {
                        ["default_sender_name"] = store.OrganizationName,
                        ["default_sender_email"] = store.DefaultSenderEmail,
                        ["website_url"] = "https://refly-demo.shop",
                        ["organization_name"] = store.OrganizationName,
                        ["street_address"] = new JsonObject { ["address1"] = "1 Demo Street", ["address2"] = null, ["city"] = "Austin", ["region"] = "TX", ["country"] = "United States", ["zip"] = "78701" },
                    },
                    ["industry"] = "Apparel & Accessories",
                    ["timezone"] = "UTC",
                    ["preferred_currency"] = "USD",
                    ["public_api_key"] = "RFLYPK",
                    ["locale"] = "en-US",
                }, request.Fields("account")),
                ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "account", store.AccountId) },
            };
            return WriteAsync(http, 200, new JsonObject { ["data"] = new JsonArray(account), ["links"] = new JsonObject { ["self"] = Self(http) } });
        });
    }
}
