using System.Text.Json.Nodes;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Spec;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// Lists, segments and their profiles. Member pages are computed from positions: joined_group_at grows with the
/// position, so a joined window is a position range and a page never touches more than page[size] profiles.
/// </summary>
public static class GroupEndpoints
{
    public static void MapGroupEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        foreach (var (kind, plural) in new[] { (SandboxGroupKind.List, "lists"), (SandboxGroupKind.Segment, "segments") })
        {
            app.MapGet($"/api/{plural}", (HttpContext http) =>
            {
                var request = SandboxRequest.From(http);
                static object? Field(SandboxGroup g, string name) => name switch
                {
                    "id" => g.Id,
                    "name" => g.Name,
                    "created" or "updated" => g.Created,
                    "is_active" => true,
                    _ => false,
                };
                var groups = CollectionQuery.Sort(CollectionQuery.Filter(store.GetGroups(kind), request.Filter, Field), request.Sort, Field, "created");
                var all = groups.ToList();
                var position = request.CursorPosition;
                var pageSize = request.PageSize;
                var page = all.Skip((int)Math.Min(position, int.MaxValue)).Take(pageSize).ToList();
                return WriteAsync(http, 200, new JsonObject
                {
                    ["data"] = new JsonArray([.. page.Select(g => SandboxResources.Group(http, g, request))]),
                    ["links"] = PageLinks(http, position, page.Count, pageSize, all.Count),
                });
            });

            app.MapGet($"/api/{plural}/{{id}}", (HttpContext http) =>
            {
                var request = SandboxRequest.From(http);
                var group = Find(store, kind, request.Id);
                return WriteAsync(http, 200, new JsonObject { ["data"] = SandboxResources.Group(http, group, request), ["links"] = new JsonObject { ["self"] = Self(http) } });
            });

            app.MapGet($"/api/{plural}/{{id}}/profiles", (HttpContext http) => ProfilesAsync(http, store, Find(store, kind, SandboxRequest.From(http).Id)));
        }

        app.MapGet("/api/profiles/{id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var profile = store.GetProfile(request.Id) ?? throw KlaviyoApiException.NotFound($"Profile {request.Id} does not exist.");
            var document = new JsonObject
            {
                ["data"] = SandboxResources.Profile(http, profile, null, SparseFieldset.Parse(request.Fields("profile"))),
                ["links"] = new JsonObject { ["self"] = Self(http) },
            };
            if (request.Query.ContainsKey("include"))
            {
                // Sandbox profiles have no conversations or push tokens; lists and segments come from membership.
                var included = new JsonArray();
                var relationships = new JsonObject();
                foreach (var (name, kind) in new[] { ("lists", SandboxGroupKind.List), ("segments", SandboxGroupKind.Segment) })
                {
                    if (request.Includes(name))
                    {
                        var groups = store.GroupsOf(profile.Id, kind);
                        relationships[name] = new JsonObject { ["data"] = new JsonArray([.. groups.Select(g => Identifier(kind == SandboxGroupKind.List ? "list" : "segment", g.Id))]) };
                        foreach (var g in groups)
                        {
                            included.Add(SandboxResources.Group(http, g, request));
                        }
                    }
                }
                document["data"]!["relationships"] = relationships;
                document["included"] = included;
            }
            return WriteAsync(http, 200, document);
        });
    }

    private static SandboxGroup Find(SandboxStore store, SandboxGroupKind kind, string id) =>
        store.GetGroup(id) is { } g && g.Kind == kind
            ? g
            : throw KlaviyoApiException.NotFound($"{(kind == SandboxGroupKind.List ? "List" : "Segment")} {id} does not exist.");

    private static Task ProfilesAsync(HttpContext http, SandboxStore store, SandboxGroup group)
    {
        var request = SandboxRequest.From(http);
        var count = group.Count;
        var (lo, hi) = JoinedRange(group, count, request.Filter);
        IReadOnlyList<long>? positions = null;
        foreach (var f in request.Filter.Where(f => f.Field != "joined_group_at"))
        {
            var matches = Identify(store, group, f).Where(p => p >= lo && p < hi);
            positions = positions is null ? matches.Order().ToList() : positions.Intersect(matches).Order().ToList();
        }
        var total = positions?.Count ?? Math.Max(0, hi - lo);
        var descending = request.Sort == "-joined_group_at";
        long PositionAt(long k)
        {
            var ordinal = descending ? total - 1 - k : k;
            return positions is null ? lo + ordinal : positions[(int)ordinal];
        }

        var start = request.CursorPosition;
        var size = (int)Math.Clamp(total - start, 0, request.PageSize);
        var fields = SparseFieldset.Parse(request.Fields("profile"));
        var data = new JsonArray();
        for (var k = start; k < start + size; k++)
        {
            var position = PositionAt(k);
            data.Add(SandboxResources.Profile(http, store.ProfileForPage(group.IndexAt(position)), group.JoinedAt(position), fields));
        }
        return WriteAsync(http, 200, new JsonObject { ["data"] = data, ["links"] = PageLinks(http, start, size, request.PageSize, total) });
    }

    private static (long Lo, long Hi) JoinedRange(SandboxGroup group, long count, IReadOnlyList<FilterCondition> filter)
    {
        long lo = 0, hi = count;
        var step = group.JoinedStep.Ticks;
        foreach (var f in filter.Where(f => f.Field == "joined_group_at"))
        {
            var offset = (f.DateValue!.Value - group.JoinedBase).Ticks;
            var floor = (long)Math.Floor((double)offset / step);
            var ceil = (long)Math.Ceiling((double)offset / step);
            switch (f.Operator)
            {
                case "greater-or-equal": lo = Math.Max(lo, ceil); break;
                case "greater-than": lo = Math.Max(lo, floor + 1); break;
                case "less-than": hi = Math.Min(hi, ceil); break;
                case "less-or-equal": hi = Math.Min(hi, floor + 1); break;
            }
        }
        lo = Math.Clamp(lo, 0, count);
        hi = Math.Clamp(hi, lo, count);
        return (lo, hi);
    }

    private static IEnumerable<long> Identify(SandboxStore store, SandboxGroup group, FilterCondition f)
    {
        foreach (var value in f.StringList)
        {
            long? index = f.Field switch
            {
                "email" => store.FindProfileIndexByEmail(value),
                "profile_id" => ProfileGenerator.TryParseId(value, out var i) ? i : null,
                // Sandbox profiles have no phone numbers, push tokens or _kx identifiers.
                _ => null,
            };
            if (index is { } found && group.PositionOf(found) is var position && position >= 0)
            {
                yield return position;
            }
        }
    }
}
