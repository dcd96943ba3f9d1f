using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Refly.KlaviyoSandbox.Http;
using Refly.KlaviyoSandbox.JsonApi;
using Refly.KlaviyoSandbox.Store;
using static Refly.KlaviyoSandbox.JsonApi.JsonApiResponse;

namespace Refly.KlaviyoSandbox.Endpoints;

/// <summary>
/// Profile bulk import jobs: at most 10,000 profiles and 5 MB per job; invalid profiles become import errors
/// instead of failing the job; writes land when the job completes.
/// </summary>
public static partial class ImportJobEndpoints
{
    public const int MaxProfiles = 10_000;
    private const int MaxProfileBytes = 100 * 1024;

    public static void MapImportJobEndpoints(this IEndpointRouteBuilder app, SandboxStore store)
    {
        app.MapPost("/api/profile-bulk-import-jobs", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var data = request.RequireBody().GetProperty("data");
            var listIds = new List<string>();
            if (data.TryGetProperty("relationships", out var relationships) && relationships.TryGetProperty("lists", out var lists)
                && lists.TryGetProperty("data", out var listData))
            {
                foreach (var list in listData.EnumerateArray())
                {
                    var listId = list.GetProperty("id").GetString()!;
                    if (store.GetGroup(listId) is not { Kind: SandboxGroupKind.List })
                    {
                        throw KlaviyoApiException.InvalidBody("/data/relationships/lists/data", $"List {listId} does not exist.");
                    }
                    listIds.Add(listId);
                }
            }
            var profiles = data.GetProperty("attributes").GetProperty("profiles").GetProperty("data");
            var count = profiles.GetArrayLength();
            if (count == 0)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/profiles/data", "At least one profile is required.");
            }
            if (count > MaxProfiles)
            {
                throw KlaviyoApiException.InvalidBody("/data/attributes/profiles/data", $"A bulk import job accepts at most {MaxProfiles} profiles; got {count}.");
            }
            var entries = new List<ProfileImportEntry>();
            var errors = new List<ImportErrorRecord>();
            var i = 0;
            foreach (var profile in profiles.EnumerateArray())
            {
                var pointer = $"/data/attributes/profiles/data/{i++}";
                var error = Validate(store, profile, out var entry);
                if (error is null)
                {
                    entries.Add(entry!);
                }
                else
                {
                    errors.Add(new ImportErrorRecord(Guid.NewGuid().ToString(), "invalid", "Invalid input.", error, pointer, JsonNode.Parse(profile.GetRawText())!.AsObject()));
                }
            }
            var job = store.CreateImportJob(entries, errors, listIds);
            return WriteAsync(http, 202, Document(http, store, job, request));
        });

        app.MapGet("/api/profile-bulk-import-jobs", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var now = store.TimeProvider.GetUtcNow();
            object? Field(SandboxImportJob j, string name) => name switch
            {
                "id" => j.Id,
                "status" => j.StatusAt(now),
                _ => j.CreatedAt,
            };
            var all = CollectionQuery.Sort(CollectionQuery.Filter(store.GetImportJobs(), request.Filter, Field), request.Sort, Field, "created_at").ToList();
            var position = request.CursorPosition;
            var page = all.Skip((int)Math.Min(position, int.MaxValue)).Take(request.PageSize).ToList();
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonArray([.. page.Select(j => Resource(http, store, j, request))]),
                ["links"] = PageLinks(http, position, page.Count, request.PageSize, all.Count),
            });
        });

        app.MapGet("/api/profile-bulk-import-jobs/{job_id}", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var job = store.GetImportJob(request.Id) ?? throw KlaviyoApiException.NotFound($"Profile bulk import job {request.Id} does not exist.");
            return WriteAsync(http, 200, Document(http, store, job, request));
        });

        app.MapGet("/api/profile-bulk-import-jobs/{id}/import-errors", (HttpContext http) =>
        {
            var request = SandboxRequest.From(http);
            var job = store.GetImportJob(request.Id) ?? throw KlaviyoApiException.NotFound($"Profile bulk import job {request.Id} does not exist.");
            var position = request.CursorPosition;
            var page = job.Errors.Skip((int)Math.Min(position, int.MaxValue)).Take(request.PageSize).ToList();
            var fields = request.Fields("import-error");
            return WriteAsync(http, 200, new JsonObject
            {
                ["data"] = new JsonArray([.. page.Select(e => (JsonNode)new JsonObject
                {
                    ["type"] = "import-error",
                    ["id"] = e.Id,
                    ["attributes"] = ApplyFields(new JsonObject
                    {
                        ["code"] = e.Code,
                        ["title"] = e.Title,
                        ["detail"] = e.Detail,
                        ["source"] = new JsonObject { ["pointer"] = e.Pointer },
                        ["original_payload"] = e.OriginalPayload.DeepClone(),
                    }, fields),
                })]),
                ["links"] = PageLinks(http, position, page.Count, request.PageSize, job.Errors.Count),
            });
        });
    }

    private static string? Validate(SandboxStore store, JsonElement profile, out ProfileImportEntry? entry)
    {
        entry = null;
        if (profile.GetRawText().Length > MaxProfileBytes)
        {
            return "The maximum allowed payload size per profile is 100KB.";
        }
        var attributes = profile.GetProperty("attributes");
        string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        var id = Str(profile, "id");
        var email = Str(attributes, "email");
        if (id is null && email is null && Str(attributes, "phone_number") is null && Str(attributes, "external_id") is null)
        {
            return "A profile needs an identifier: id, email, phone_number or external_id.";
        }
        if (Str(attributes, "phone_number") is not null || Str(attributes, "external_id") is not null)
        {
            if (email is null && id is null)
            {
                return "The sandbox identifies profiles by id or email only.";
            }
        }
        if (email is not null && !EmailFormat().IsMatch(email))
        {
            return $"'{email}' is not a valid email address.";
        }
        long? index = null;
        if (id is not null)
        {
            if (store.GetProfile(id) is not { } existing)
            {
                return $"Profile {id} does not exist.";
            }
            index = existing.Index;
        }
        else if (email is not null)
        {
            index = store.FindProfileIndexByEmail(email);
        }

        var set = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (attributes.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in properties.EnumerateObject())
            {
                // Arms typed as object: otherwise the switch's common type is JsonNode (implicit conversions) and strings become JsonValues.
                set[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.String => (object?)p.Value.GetString(),
                    JsonValueKind.Number when p.Value.TryGetInt64(out var l) => l,
                    JsonValueKind.Number => p.Value.GetDouble(),
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.Null => null,
                    _ => JsonNode.Parse(p.Value.GetRawText()),
                };
            }
        }
        var unset = new List<string>();
        if (profile.TryGetProperty("meta", out var meta) && meta.TryGetProperty("patch_properties", out var patch) && patch.TryGetProperty("unset", out var u))
        {
            if (u.ValueKind == JsonValueKind.String)
            {
                unset.Add(u.GetString()!);
            }
            else if (u.ValueKind == JsonValueKind.Array)
            {
                unset.AddRange(u.EnumerateArray().Select(x => x.GetString()!));
            }
        }
        var firstName = Str(attributes, "first_name");
        var lastName = Str(attributes, "last_name");
        string? city = null, country = null;
        if (attributes.TryGetProperty("location", out var location) && location.ValueKind == JsonValueKind.Object)
        {
            city = Str(location, "city");
            country = Str(location, "country");
        }
        entry = new ProfileImportEntry(index, email, p =>
        {
            p.Email = email ?? p.Email;
            p.FirstName = firstName ?? p.FirstName;
            p.LastName = lastName ?? p.LastName;
            p.City = city ?? p.City;
            p.Country = country ?? p.Country;
            foreach (var (name, value) in set)
            {
                p.Properties[name] = value;
            }
            foreach (var name in unset)
            {
                p.Properties.Remove(name);
            }
        });
        return null;
    }

    private static JsonObject Document(HttpContext http, SandboxStore store, SandboxImportJob job, SandboxRequest request) =>
        new() { ["data"] = Resource(http, store, job, request), ["links"] = new JsonObject { ["self"] = Self(http) } };

    private static JsonObject Resource(HttpContext http, SandboxStore store, SandboxImportJob job, SandboxRequest request)
    {
        var now = store.TimeProvider.GetUtcNow();
        var status = job.StatusAt(now);
        var done = status == "complete";
        return new JsonObject
        {
            ["type"] = "profile-bulk-import-job",
            ["id"] = job.Id,
            ["attributes"] = ApplyFields(new JsonObject
            {
                ["status"] = status,
                ["created_at"] = Date(job.CreatedAt),
                ["total_count"] = job.TotalCount,
                ["completed_count"] = done ? job.Entries.Count : 0,
                ["failed_count"] = done ? job.Errors.Count : 0,
                ["completed_at"] = done ? Date(job.CompletedAt) : null,
                ["expires_at"] = Date(job.CreatedAt.AddDays(7)),
                ["started_at"] = status == "queued" ? null : Date(job.StartedAt),
            }, request.Fields("profile-bulk-import-job")),
            ["relationships"] = new JsonObject
            {
                ["lists"] = new JsonObject { ["data"] = new JsonArray([.. job.ListIds.Select(id => Identifier("list", id))]), ["links"] = RelationshipLinks(http, "profile-bulk-import-job", job.Id, "lists") },
                ["profiles"] = new JsonObject { ["links"] = RelationshipLinks(http, "profile-bulk-import-job", job.Id, "profiles") },
                ["import-errors"] = new JsonObject { ["links"] = new JsonObject { ["related"] = $"{BaseUrl(http)}/api/profile-bulk-import-jobs/{job.Id}/import-errors/" } },
            },
            ["links"] = new JsonObject { ["self"] = ResourceUrl(http, "profile-bulk-import-job", job.Id) },
        };
    }

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailFormat();
}
