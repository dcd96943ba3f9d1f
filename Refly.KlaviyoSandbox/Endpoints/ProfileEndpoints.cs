using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// get_profiles (GET /api/profiles) looked up by identity: <c>equals</c> or <c>any</c> on <c>id</c>, <c>email</c>
/// (and <c>phone_number</c>, <c>external_id</c>, which no sandbox profile has). The pipeline has already refused a
/// filter the spec does not allow (400); the sandbox also refuses to list the whole account (no identity filter)
/// or to filter by date, which it does not serve, rather than answer something Klaviyo would not.
/// </summary>
public static class ProfileEndpoints
{
    private static readonly HashSet<string> IdentityFields = new(StringComparer.Ordinal) { "id", "email", "phone_number", "external_id" };

    public static void MapProfileEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapGet("/api/profiles", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            if (request.Filter.Count == 0)
            {
                throw KlaviyoApiException.InvalidParameter("filter", "The sandbox lists profiles by identity only: filter with equals(email,\"...\") or equals(id,\"...\").");
            }
            HashSet<long>? indices = null;
            foreach (var condition in request.Filter)
            {
                if (!IdentityFields.Contains(condition.Field) || condition.Operator is not ("equals" or "any"))
                {
                    throw KlaviyoApiException.InvalidParameter("filter", $"The sandbox does not serve {condition.Operator}({condition.Field},...) on profiles; use equals or any on id or email.");
                }
                if (condition.Operator == "equals" && condition.Value is not string)
                {
                    throw KlaviyoApiException.InvalidParameter("filter", $"equals({condition.Field},...) needs a quoted string value.");
                }
                var matches = new HashSet<long>();
                foreach (var value in condition.StringList)
                {
                    long? index = condition.Field switch
                    {
                        "id" => ProfileGenerator.TryParseId(value, out var i) && store.GetProfile(value) is not null ? i : null,
                        "email" => store.FindProfileIndexByEmail(value),
                        _ => null,
                    };
                    if (index is { } found)
                    {
                        matches.Add(found);
                    }
                }
                indices = indices is null ? matches : [.. indices.Intersect(matches)];
            }
            var all = indices!.Order().Select(store.GetProfile).OfType<SandboxProfile>().ToList();
            var position = request.CursorPosition;
            var page = all.Skip((int)Math.Min(position, int.MaxValue)).Take(request.PageSize).ToList();
            var fields = SparseFieldset.Parse(request.Fields("profile"));
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonArray([.. page.Select(p => SandboxResources.Profile(http, p, null, fields))]),
                ["links"] = PageLinks(http, position, page.Count, request.PageSize, all.Count),
            });
        });
    }
}
