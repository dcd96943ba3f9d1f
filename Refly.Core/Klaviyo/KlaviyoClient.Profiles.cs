using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace Refly.Core.Klaviyo;

/// <summary>Lists, segments and their profiles, and the profile bulk import that writes the personalized properties.</summary>
public sealed partial class KlaviyoClient
{
    /// <summary>Klaviyo's limit on profiles per bulk import job.</summary>
    public const int MaxProfilesPerImport = 10_000;

    /// <summary>Klaviyo's limit on a bulk import job's payload, in bytes.</summary>
    public const int MaxImportPayloadBytes = 5 * 1024 * 1024;

    /// <summary>The profile attributes the personalizers read (sparse fieldset of the profiles pages).</summary>
    internal const string ProfileFields = "email,first_name,last_name,location.city,location.country,properties,joined_group_at";

    // get_profiles has no joined_group_at (a profile outside a group).
    private const string LookupProfileFields = "email,first_name,last_name,location.city,location.country,properties";

    /// <inheritdoc />
    public async Task<KlaviyoGroup?> GetGroupAsync(KlaviyoGroupRef group, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(group.Id);
        var (endpoint, path, field) = group.Kind == KlaviyoGroupKind.List
            ? (KlaviyoEndpoints.GetListWithProfileCount, $"/api/lists/{Escape(group.Id)}", "additional-fields[list]")
            : (KlaviyoEndpoints.GetSegmentWithProfileCount, $"/api/segments/{Escape(group.Id)}", "additional-fields[segment]");
        using var doc = await SendAsync(
            endpoint, HttpMethod.Get, path + Query((field, "profile_count")),
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        return doc is null ? null : KlaviyoResponseParser.GroupDocument(doc.RootElement, group);
    }

    /// <inheritdoc />
    public async Task<KlaviyoPage<KlaviyoProfile>> GetGroupProfilesPageAsync(
        KlaviyoGroupRef group, string? cursor, JoinedWindow? joinedWindow, CancellationToken cancellationToken)
    {
        var (endpoint, path) = GroupProfiles(group);
        var query = Query(
            ("fields[profile]", ProfileFields),
            ("filter", JoinedFilter(joinedWindow)),
            ("page[cursor]", string.IsNullOrEmpty(cursor) ? null : cursor),
            ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture)));
        using var doc = await GetRequiredAsync(endpoint, path + query, cancellationToken).ConfigureAwait(false);

        // The spec allows a member without an id; such a profile cannot be patched by id, so it is skipped.
        return KlaviyoResponseParser.Profiles(doc.RootElement, _ => LogProfileWithoutId(_logger, endpoint.Key));
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetJoinedBoundAsync(KlaviyoGroupRef group, bool latest, CancellationToken cancellationToken)
    {
        var (endpoint, path) = GroupProfiles(group);
        var query = Query(
            ("fields[profile]", "joined_group_at"),
            ("page[size]", "1"),
            ("sort", latest ? "-joined_group_at" : "joined_group_at"));
        using var doc = await GetRequiredAsync(endpoint, path + query, cancellationToken).ConfigureAwait(false);
        var page = KlaviyoResponseParser.Profiles(doc.RootElement, _ => LogProfileWithoutId(_logger, endpoint.Key));
        return page.Items.Count == 0 ? null : page.Items[0].JoinedGroupAt;
    }

    /// <inheritdoc />
    public async Task<KlaviyoProfile?> FindProfileByEmailAsync(string email, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(email);
        if (email.Contains('"', StringComparison.Ordinal))
        {
            // Klaviyo's filter literals cannot hold a double quote, and no valid address has one.
            return null;
        }

        var query = Query(
            ("fields[profile]", LookupProfileFields),
            ("filter", $"equals(email,\"{email.Trim()}\")"));
        using var doc = await GetRequiredAsync(KlaviyoEndpoints.GetProfiles, "/api/profiles" + query, cancellationToken).ConfigureAwait(false);
        var page = KlaviyoResponseParser.Profiles(doc.RootElement, _ => LogProfileWithoutId(_logger, KlaviyoEndpoints.GetProfiles.Key));
        return page.Items.Count == 0 ? null : page.Items[0];
    }

    /// <inheritdoc />
    public async Task<string> CreateProfileImportJobAsync(IReadOnlyList<ProfilePropertyPatch> profiles, CancellationToken cancellationToken)
    {
        var body = BuildImportBody(profiles);
        using var doc = await SendAsync(
            KlaviyoEndpoints.BulkImportProfiles, HttpMethod.Post, "/api/profile-bulk-import-jobs",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
            ?? throw new KlaviyoResponseException("the answer to bulk_import_profiles has no body.");
        return KlaviyoResponseParser.CreatedId(doc.RootElement, "profile-bulk-import-job");
    }

    /// <inheritdoc />
    public async Task<KlaviyoImportJob> GetProfileImportJobAsync(string jobId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        using var doc = await GetRequiredAsync(
            KlaviyoEndpoints.GetBulkImportProfilesJob, $"/api/profile-bulk-import-jobs/{Escape(jobId)}", cancellationToken).ConfigureAwait(false);
        return KlaviyoResponseParser.ImportJobDocument(doc.RootElement);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<KlaviyoImportJobListing> GetUnfinishedProfileImportJobsAsync(
        DateTimeOffset createdSince, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var jobs = GetAllPagesAsync(
            KlaviyoEndpoints.GetBulkImportProfilesJobs,
            cursor => "/api/profile-bulk-import-jobs" + Query(
                ("filter", "any(status,['queued','processing'])"),
                ("sort", "-created_at"),
                ("page[cursor]", cursor),
                ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture))),
            KlaviyoResponseParser.ImportJobListing,
            cancellationToken);
        await foreach (var job in jobs.ConfigureAwait(false))
        {
            if (job.CreatedAt < createdSince)
            {
                // Newest first: every later job is older still.
                yield break;
            }

            yield return job;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<KlaviyoImportError> GetProfileImportErrorsAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        var errors = GetAllPagesAsync(
            KlaviyoEndpoints.GetErrorsForBulkImportProfilesJob,
            cursor => $"/api/profile-bulk-import-jobs/{Escape(jobId)}/import-errors" + Query(
                ("page[cursor]", cursor),
                ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture))),
            KlaviyoResponseParser.ImportErrors,
            cancellationToken);
        await foreach (var error in errors.ConfigureAwait(false))
        {
            yield return error;
        }
    }

    /// <summary>
    /// The ProfileImportJobCreateQuery body; throws <see cref="ArgumentException"/> beyond Klaviyo's limits
    /// (10,000 profiles, 5 MB) so that nothing is sent.
    /// </summary>
    internal static byte[] BuildImportBody(IReadOnlyList<ProfilePropertyPatch> profiles)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (profiles.Count == 0)
        {
            throw new ArgumentException("A bulk import needs at least one profile.", nameof(profiles));
        }

        if (profiles.Count > MaxProfilesPerImport)
        {
            throw new ArgumentException(
                $"A bulk import takes at most {MaxProfilesPerImport:N0} profiles; got {profiles.Count:N0}.", nameof(profiles));
        }

        var data = new JsonArray();
        foreach (var profile in profiles)
        {
            data.Add(ImportedProfile(profile, nameof(profiles)).ToJson());
        }

        var body = JsonApiWriter.Document(new JsonApiResource("profile-bulk-import-job")
        {
            Attributes = new JsonObject { ["profiles"] = new JsonObject { ["data"] = data } },
        });

        if (body.Length > MaxImportPayloadBytes)
        {
            throw new ArgumentException(
                $"A bulk import payload may be at most 5 MB; these {profiles.Count:N0} profiles make {body.Length:N0} bytes. Send smaller batches.",
                nameof(profiles));
        }

        return body;
    }

    /// <summary>ProfileUpsertQueryResourceObject: type, id, attributes{email, properties}, meta{patch_properties{unset}}.</summary>
    private static JsonApiResource ImportedProfile(ProfilePropertyPatch profile, string paramName)
    {
        ArgumentNullException.ThrowIfNull(profile, paramName);
        if (string.IsNullOrWhiteSpace(profile.ProfileId) && string.IsNullOrWhiteSpace(profile.Email))
        {
            throw new ArgumentException("Every profile in a bulk import needs an id or an email.", paramName);
        }

        var attributes = new JsonObject();
        if (!string.IsNullOrWhiteSpace(profile.Email))
        {
            attributes["email"] = profile.Email;
        }

        if (profile.Set.Count > 0)
        {
            var properties = new JsonObject();
            foreach (var (key, value) in profile.Set)
            {
                properties[key] = value;
            }

            attributes["properties"] = properties;
        }

        return new JsonApiResource("profile", string.IsNullOrWhiteSpace(profile.ProfileId) ? null : profile.ProfileId)
        {
            Attributes = attributes,
            Meta = profile.Unset.Count == 0
                ? null
                : new JsonObject
                {
                    ["patch_properties"] = new JsonObject { ["unset"] = new JsonArray(profile.Unset.Select(key => (JsonNode?)key).ToArray()) },
                },
        };
    }

    /// <summary>
    /// The joined_group_at filter of a window: <c>greater-or-equal</c> for From and <c>less-than</c> for To, the operators
    /// get_profiles_for_list and get_profiles_for_segment allow; two conditions are joined with <c>and(...)</c>.
    /// </summary>
    internal static string? JoinedFilter(JoinedWindow? window)
    {
        if (window is null)
        {
            return null;
        }

        var conditions = new List<string>(2);
        if (window.From is { } from)
        {
            conditions.Add($"greater-or-equal(joined_group_at,{FilterDate(from)})");
        }

        if (window.To is { } to)
        {
            conditions.Add($"less-than(joined_group_at,{FilterDate(to)})");
        }

        return conditions.Count switch
        {
            0 => null,
            1 => conditions[0],
            _ => $"and({string.Join(',', conditions)})",
        };
    }

    private static string FilterDate(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>The members endpoint of a list or a segment.</summary>
    private static (KlaviyoEndpoint Endpoint, string Path) GroupProfiles(KlaviyoGroupRef group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(group.Id);
        return group.Kind == KlaviyoGroupKind.List
            ? (KlaviyoEndpoints.GetProfilesForList, $"/api/lists/{Escape(group.Id)}/profiles")
            : (KlaviyoEndpoints.GetProfilesForSegment, $"/api/segments/{Escape(group.Id)}/profiles");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Klaviyo returned a profile without an id from {Endpoint}; it was skipped")]
    private static partial void LogProfileWithoutId(ILogger logger, string endpoint);
}
