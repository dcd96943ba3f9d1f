using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.Timeout;

namespace Refly.Core.Klaviyo;

/// <summary>
/// The typed HttpClient behind <see cref="IKlaviyoClient"/>. It builds each request from the current
/// <see cref="IKlaviyoConnection"/> (base URL and key read per request) and tags it with its
/// <see cref="KlaviyoEndpoint"/>; retries and pacing happen in the handlers registered by
/// <see cref="KlaviyoServiceCollectionExtensions.AddKlaviyo"/>.
/// </summary>
/// <remarks>
/// Cursors returned by <see cref="GetGroupProfilesPageAsync"/> are the bare <c>page[cursor]</c> value of Klaviyo's
/// <c>links.next</c>, not the whole URL: the base URL can change between runs (the sandbox listens on a new port
/// after a restart, an operator switches to a real account), and the client rebuilds the rest of the query itself.
/// </remarks>
public sealed partial class KlaviyoClient : IKlaviyoClient
{
    /// <summary>Klaviyo's limit on profiles per bulk import job.</summary>
    public const int MaxProfilesPerImport = 10_000;

    /// <summary>Klaviyo's limit on a bulk import job's payload, in bytes.</summary>
    public const int MaxImportPayloadBytes = 5 * 1024 * 1024;

    /// <summary>The profile attributes the personalizers read (sparse fieldset of the profiles pages).</summary>
    internal const string ProfileFields = "email,first_name,last_name,location.city,location.country,properties,joined_group_at";

    internal const string JsonApiMediaType = "application/vnd.api+json";

    internal const int MaxPageSize = 100;

    private readonly HttpClient _http;
    private readonly IKlaviyoConnection _connection;
    private readonly IOptionsMonitor<KlaviyoOptions> _options;
    private readonly ILogger<KlaviyoClient> _logger;
    private readonly TimeProvider _time;

    /// <summary>Created by the HttpClient factory; resolve <see cref="IKlaviyoClient"/> rather than constructing it.</summary>
    public KlaviyoClient(HttpClient http, IKlaviyoConnection connection, IOptionsMonitor<KlaviyoOptions> options, ILogger<KlaviyoClient> logger, TimeProvider time)
    {
        _http = http;
        _connection = connection;
        _options = options;
        _logger = logger;
        _time = time;
    }

    // ---- Accounts ----

    /// <inheritdoc />
    public Task<KlaviyoAccount> GetAccountAsync(CancellationToken cancellationToken) => GetAccountAsync(_connection, cancellationToken);

    /// <inheritdoc />
    public async Task<KlaviyoAccount> GetAccountAsync(IKlaviyoConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var doc = await SendAsync(connection, KlaviyoEndpoints.GetAccounts, HttpMethod.Get, "/api/accounts", body: null, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
            ?? throw new KlaviyoResponseException($"the answer to {KlaviyoEndpoints.GetAccounts.Key} has no body.");
        var data = JsonApi.RequireArray(doc.RootElement, "data", "document");
        if (data.GetArrayLength() == 0)
        {
            throw new KlaviyoResponseException("/api/accounts returned no account.");
        }

        var account = JsonApi.RequireObject(data[0], "account");
        var id = JsonApi.RequireString(account, "id", "account");
        var attributes = JsonApi.OptionalObject(account, "attributes", "account");
        var contact = attributes is null ? null : JsonApi.OptionalObject(attributes.Value, "contact_information", "account.attributes");
        return new KlaviyoAccount(
            id,
            contact is null ? null : JsonApi.OptionalString(contact.Value, "organization_name", "account.contact_information"),
            contact is null ? null : JsonApi.OptionalString(contact.Value, "default_sender_email", "account.contact_information"));
    }

    // ---- Campaigns ----

    /// <inheritdoc />
    public async IAsyncEnumerable<KlaviyoCampaign> GetEmailCampaignsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var query = Query(
                ("filter", "equals(messages.channel,'email')"),
                ("include", "campaign-messages,tags"),
                ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture)),
                ("page[cursor]", cursor));
            List<KlaviyoCampaign> campaigns;
            using (var doc = await GetRequiredAsync(KlaviyoEndpoints.GetCampaigns, "/api/campaigns" + query, cancellationToken).ConfigureAwait(false))
            {
                var included = JsonApi.IndexIncluded(doc.RootElement);
                campaigns = JsonApi.RequireArray(doc.RootElement, "data", "document").EnumerateArray()
                    .Select(c => ParseCampaign(c, included))
                    .ToList();
                cursor = JsonApi.NextCursor(doc.RootElement);
            }

            foreach (var campaign in campaigns)
            {
                yield return campaign;
            }
        }
        while (cursor is not null);
    }

    /// <inheritdoc />
    public async Task<KlaviyoCampaign?> GetCampaignAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetCampaign, HttpMethod.Get,
            $"/api/campaigns/{Escape(campaignId)}" + Query(("include", "campaign-messages,tags")),
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        return doc is null ? null : ParseCampaignDocument(doc.RootElement);
    }

    /// <summary>A single-campaign document (data plus included messages and tags).</summary>
    internal static KlaviyoCampaign ParseCampaignDocument(JsonElement root) =>
        ParseCampaign(JsonApi.RequireObject(root, "data", "document"), JsonApi.IndexIncluded(root));

    /// <summary>A collection of profiles (one page of a list's or segment's members).</summary>
    internal static KlaviyoPage<KlaviyoProfile> ParseProfilesDocument(JsonElement root, Action<string>? skipped = null)
    {
        var profiles = new List<KlaviyoProfile>();
        foreach (var item in JsonApi.RequireArray(root, "data", "document").EnumerateArray())
        {
            var profile = ParseProfile(item);
            if (profile is null)
            {
                skipped?.Invoke("profile without id");
                continue;
            }

            profiles.Add(profile);
        }

        return new KlaviyoPage<KlaviyoProfile>(profiles, JsonApi.NextCursor(root));
    }

    /// <inheritdoc />
    public async Task<KlaviyoCampaignMessage?> GetCampaignMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetCampaignMessage, HttpMethod.Get,
            $"/api/campaign-messages/{Escape(messageId)}" + Query(("include", "template")),
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        return doc is null ? null : ParseMessage(JsonApi.RequireObject(doc.RootElement, "data", "document"));
    }

    /// <inheritdoc />
    public async Task UpdateCampaignMessageContentAsync(string messageId, string subject, string previewText, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(previewText);
        var body = Body(w =>
        {
            // CampaignMessagePartialUpdateQuery: data{type,id,attributes{definition: EmailMessageDefinition{channel,content}}}
            w.WriteStartObject("data");
            w.WriteString("type", "campaign-message");
            w.WriteString("id", messageId);
            w.WriteStartObject("attributes");
            w.WriteStartObject("definition");
            w.WriteString("channel", "email");
            w.WriteStartObject("content");
            w.WriteString("subject", subject);
            w.WriteString("preview_text", previewText);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
        using var _ = await SendAsync(
            KlaviyoEndpoints.UpdateCampaignMessage, HttpMethod.Patch, $"/api/campaign-messages/{Escape(messageId)}",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AssignTemplateAsync(string messageId, string templateId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        var body = Body(w =>
        {
            // CampaignMessageAssignTemplateQuery: data{type,id,relationships{template{data{type,id}}}}
            w.WriteStartObject("data");
            w.WriteString("type", "campaign-message");
            w.WriteString("id", messageId);
            w.WriteStartObject("relationships");
            w.WriteStartObject("template");
            w.WriteStartObject("data");
            w.WriteString("type", "template");
            w.WriteString("id", templateId);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });
        using var _ = await SendAsync(
            KlaviyoEndpoints.AssignTemplateToCampaignMessage, HttpMethod.Post, "/api/campaign-message-assign-template",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<long?> GetRecipientEstimateAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetCampaignRecipientEstimation, HttpMethod.Get,
            $"/api/campaign-recipient-estimations/{Escape(campaignId)}",
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        if (doc is null)
        {
            return null;
        }

        var data = JsonApi.RequireObject(doc.RootElement, "data", "document");
        var attributes = JsonApi.OptionalObject(data, "attributes", "campaign-recipient-estimation");
        return attributes is null
            ? null
            : JsonApi.OptionalLong(attributes.Value, "estimated_recipient_count", "campaign-recipient-estimation.attributes");
    }

    /// <inheritdoc />
    public async Task RevertSendJobAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        var body = Body(w =>
        {
            // CampaignSendJobPartialUpdateQuery: data{type,id,attributes{action}}
            w.WriteStartObject("data");
            w.WriteString("type", "campaign-send-job");
            w.WriteString("id", campaignId);
            w.WriteStartObject("attributes");
            w.WriteString("action", "revert");
            w.WriteEndObject();
            w.WriteEndObject();
        });
        using var _ = await SendAsync(
            KlaviyoEndpoints.CancelCampaignSend, HttpMethod.Patch, $"/api/campaign-send-jobs/{Escape(campaignId)}",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CreateSendJobAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        var body = Body(w =>
        {
            // CampaignSendJobCreateQuery: data{type,id}
            w.WriteStartObject("data");
            w.WriteString("type", "campaign-send-job");
            w.WriteString("id", campaignId);
            w.WriteEndObject();
        });
        using var _ = await SendAsync(
            KlaviyoEndpoints.SendCampaign, HttpMethod.Post, "/api/campaign-send-jobs",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false);
    }

    // ---- Templates ----

    /// <inheritdoc />
    public async Task<KlaviyoTemplate?> GetTemplateAsync(string templateId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetTemplate, HttpMethod.Get, $"/api/templates/{Escape(templateId)}",
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        if (doc is null)
        {
            return null;
        }

        var data = JsonApi.RequireObject(doc.RootElement, "data", "document");
        var id = JsonApi.RequireString(data, "id", "template");
        var attributes = JsonApi.RequireObject(data, "attributes", $"template {id}");
        var what = $"template {id}.attributes";
        return new KlaviyoTemplate(
            id,
            JsonApi.OptionalString(attributes, "name", what) ?? "",
            JsonApi.OptionalString(attributes, "editor_type", what) ?? "",
            JsonApi.OptionalString(attributes, "html", what),
            JsonApi.OptionalString(attributes, "text", what));
    }

    /// <inheritdoc />
    public async Task<string> CreateTemplateAsync(string name, string html, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(html);
        var body = Body(w =>
        {
            // TemplateCreateHtmlOrDndQuery: data{type,attributes{name,editor_type,html}}
            w.WriteStartObject("data");
            w.WriteString("type", "template");
            w.WriteStartObject("attributes");
            w.WriteString("name", name);
            w.WriteString("editor_type", "CODE");
            w.WriteString("html", html);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        using var doc = await SendAsync(
            KlaviyoEndpoints.CreateTemplate, HttpMethod.Post, "/api/templates",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
            ?? throw new KlaviyoResponseException("the answer to create_template has no body.");
        return JsonApi.RequireString(JsonApi.RequireObject(doc.RootElement, "data", "document"), "id", "template");
    }

    /// <inheritdoc />
    public async Task DeleteTemplateAsync(string templateId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        using var _ = await SendAsync(
            KlaviyoEndpoints.DeleteTemplate, HttpMethod.Delete, $"/api/templates/{Escape(templateId)}",
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
    }

    // ---- Tags ----

    /// <inheritdoc />
    public async Task<KlaviyoTag?> FindTagByNameAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using var doc = await GetRequiredAsync(
            KlaviyoEndpoints.GetTags, "/api/tags" + Query(("filter", $"equals(name,{FilterString(name)})")), cancellationToken).ConfigureAwait(false);
        foreach (var item in JsonApi.RequireArray(doc.RootElement, "data", "document").EnumerateArray())
        {
            var tag = ParseTag(item);
            if (string.Equals(tag.Name, name, StringComparison.Ordinal))
            {
                return tag;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> GetCampaignIdsForTagAsync(string tagId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tagId);
        var pathAndQuery = $"/api/tags/{Escape(tagId)}/relationships/campaigns";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pathAndQuery is not null)
        {
            List<string> ids;
            using (var doc = await GetRequiredAsync(KlaviyoEndpoints.GetCampaignIdsForTag, pathAndQuery, cancellationToken).ConfigureAwait(false))
            {
                ids = JsonApi.RequireArray(doc.RootElement, "data", "document").EnumerateArray()
                    .Select(item => JsonApi.RequireString(JsonApi.RequireObject(item, "data[]"), "id", "data[]"))
                    .ToList();

                // The spec lists no page[cursor] for this operation; should Klaviyo still paginate, follow its own link
                // (path and query only, on our base URL).
                var next = JsonApi.NextLink(doc.RootElement);
                pathAndQuery = next is null ? null : PathAndQueryOf(next);
                if (pathAndQuery is not null && !seen.Add(pathAndQuery))
                {
                    throw new KlaviyoResponseException("links.next repeats a page already read.");
                }
            }

            foreach (var id in ids)
            {
                yield return id;
            }
        }
    }

    // ---- Lists, segments, profiles ----

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
        if (doc is null)
        {
            return null;
        }

        var data = JsonApi.RequireObject(doc.RootElement, "data", "document");
        var what = $"{group.Kind.ToString().ToLowerInvariant()} {group.Id}";
        var attributes = JsonApi.OptionalObject(data, "attributes", what);
        return new KlaviyoGroup(
            group,
            attributes is null ? "" : JsonApi.OptionalString(attributes.Value, "name", what + ".attributes") ?? "",
            attributes is null ? null : JsonApi.OptionalLong(attributes.Value, "profile_count", what + ".attributes"));
    }

    /// <inheritdoc />
    public async Task<KlaviyoPage<KlaviyoProfile>> GetGroupProfilesPageAsync(
        KlaviyoGroupRef group, string? cursor, JoinedWindow? joinedWindow, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(group.Id);
        var (endpoint, path) = group.Kind == KlaviyoGroupKind.List
            ? (KlaviyoEndpoints.GetProfilesForList, $"/api/lists/{Escape(group.Id)}/profiles")
            : (KlaviyoEndpoints.GetProfilesForSegment, $"/api/segments/{Escape(group.Id)}/profiles");
        var query = Query(
            ("fields[profile]", ProfileFields),
            ("filter", JoinedFilter(joinedWindow)),
            ("page[cursor]", string.IsNullOrEmpty(cursor) ? null : cursor),
            ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture)));
        using var doc = await GetRequiredAsync(endpoint, path + query, cancellationToken).ConfigureAwait(false);

        // The spec allows a member without an id; such a profile cannot be patched by id, so it is skipped.
        return ParseProfilesDocument(doc.RootElement, _ => LogProfileWithoutId(_logger, endpoint.Key));
    }

    /// <inheritdoc />
    public async Task<DateTimeOffset?> GetJoinedBoundAsync(KlaviyoGroupRef group, bool latest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentException.ThrowIfNullOrWhiteSpace(group.Id);
        var (endpoint, path) = group.Kind == KlaviyoGroupKind.List
            ? (KlaviyoEndpoints.GetProfilesForList, $"/api/lists/{Escape(group.Id)}/profiles")
            : (KlaviyoEndpoints.GetProfilesForSegment, $"/api/segments/{Escape(group.Id)}/profiles");
        var query = Query(
            ("fields[profile]", "joined_group_at"),
            ("page[size]", "1"),
            ("sort", latest ? "-joined_group_at" : "joined_group_at"));
        using var doc = await GetRequiredAsync(endpoint, path + query, cancellationToken).ConfigureAwait(false);
        var page = ParseProfilesDocument(doc.RootElement, _ => LogProfileWithoutId(_logger, endpoint.Key));
        return page.Items.Count == 0 ? null : page.Items[0].JoinedGroupAt;
    }

    // ---- Profile bulk import ----

    /// <inheritdoc />
    public async Task<string> CreateProfileImportJobAsync(IReadOnlyList<ProfilePropertyPatch> profiles, CancellationToken cancellationToken)
    {
        var body = BuildImportBody(profiles);
        using var doc = await SendAsync(
            KlaviyoEndpoints.BulkImportProfiles, HttpMethod.Post, "/api/profile-bulk-import-jobs",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
            ?? throw new KlaviyoResponseException("the answer to bulk_import_profiles has no body.");
        return JsonApi.RequireString(JsonApi.RequireObject(doc.RootElement, "data", "document"), "id", "profile-bulk-import-job");
    }

    /// <inheritdoc />
    public async Task<KlaviyoImportJob> GetProfileImportJobAsync(string jobId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        using var doc = await GetRequiredAsync(
            KlaviyoEndpoints.GetBulkImportProfilesJob, $"/api/profile-bulk-import-jobs/{Escape(jobId)}", cancellationToken).ConfigureAwait(false);
        var data = JsonApi.RequireObject(doc.RootElement, "data", "document");
        var id = JsonApi.RequireString(data, "id", "profile-bulk-import-job");
        var what = $"profile-bulk-import-job {id}.attributes";
        var attributes = JsonApi.RequireObject(data, "attributes", $"profile-bulk-import-job {id}");
        return new KlaviyoImportJob(
            id,
            JsonApi.RequireString(attributes, "status", what),
            ToInt(JsonApi.OptionalLong(attributes, "total_count", what)),
            ToInt(JsonApi.OptionalLong(attributes, "completed_count", what)),
            ToInt(JsonApi.OptionalLong(attributes, "failed_count", what)),
            JsonApi.OptionalDate(attributes, "completed_at", what));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<KlaviyoImportJobListing> GetUnfinishedProfileImportJobsAsync(
        DateTimeOffset createdSince, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? pathAndQuery = "/api/profile-bulk-import-jobs" + Query(
            ("filter", "any(status,['queued','processing'])"),
            ("sort", "-created_at"),
            ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture)));
        while (pathAndQuery is not null)
        {
            List<KlaviyoImportJobListing> jobs;
            using (var doc = await GetRequiredAsync(KlaviyoEndpoints.GetBulkImportProfilesJobs, pathAndQuery, cancellationToken).ConfigureAwait(false))
            {
                jobs = JsonApi.RequireArray(doc.RootElement, "data", "document").EnumerateArray().Select(item =>
                {
                    var id = JsonApi.RequireString(item, "id", "profile-bulk-import-job");
                    var what = $"profile-bulk-import-job {id}.attributes";
                    var attributes = JsonApi.RequireObject(item, "attributes", $"profile-bulk-import-job {id}");
                    return new KlaviyoImportJobListing(id, JsonApi.RequireString(attributes, "status", what), JsonApi.RequireDate(attributes, "created_at", what));
                }).ToList();
                pathAndQuery = JsonApi.NextLink(doc.RootElement) is { } next ? PathAndQueryOf(next) : null;
            }

            foreach (var job in jobs)
            {
                if (job.CreatedAt < createdSince)
                {
                    // Newest first: every later job is older still.
                    yield break;
                }

                yield return job;
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<KlaviyoImportError> GetProfileImportErrorsAsync(string jobId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobId);
        string? cursor = null;
        do
        {
            var query = Query(
                ("page[cursor]", cursor),
                ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture)));
            List<KlaviyoImportError> errors;
            using (var doc = await GetRequiredAsync(
                KlaviyoEndpoints.GetErrorsForBulkImportProfilesJob,
                $"/api/profile-bulk-import-jobs/{Escape(jobId)}/import-errors" + query, cancellationToken).ConfigureAwait(false))
            {
                errors = JsonApi.RequireArray(doc.RootElement, "data", "document").EnumerateArray().Select(ParseImportError).ToList();
                cursor = JsonApi.NextCursor(doc.RootElement);
            }

            foreach (var error in errors)
            {
                yield return error;
            }
        }
        while (cursor is not null);
    }

    // ---- Request bodies and queries ----

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

        var body = Body(w =>
        {
            w.WriteStartObject("data");
            w.WriteString("type", "profile-bulk-import-job");
            w.WriteStartObject("attributes");
            w.WriteStartObject("profiles");
            w.WriteStartArray("data");
            foreach (var profile in profiles)
            {
                ArgumentNullException.ThrowIfNull(profile, nameof(profiles));
                if (string.IsNullOrWhiteSpace(profile.ProfileId) && string.IsNullOrWhiteSpace(profile.Email))
                {
                    throw new ArgumentException("Every profile in a bulk import needs an id or an email.", nameof(profiles));
                }

                // ProfileUpsertQueryResourceObject: type, id, attributes{email, properties}, meta{patch_properties{unset}}
                w.WriteStartObject();
                w.WriteString("type", "profile");
                if (!string.IsNullOrWhiteSpace(profile.ProfileId))
                {
                    w.WriteString("id", profile.ProfileId);
                }

                w.WriteStartObject("attributes");
                if (!string.IsNullOrWhiteSpace(profile.Email))
                {
                    w.WriteString("email", profile.Email);
                }

                if (profile.Set.Count > 0)
                {
                    w.WriteStartObject("properties");
                    foreach (var (key, value) in profile.Set)
                    {
                        w.WriteString(key, value);
                    }

                    w.WriteEndObject();
                }

                w.WriteEndObject();
                if (profile.Unset.Count > 0)
                {
                    w.WriteStartObject("meta");
                    w.WriteStartObject("patch_properties");
                    w.WriteStartArray("unset");
                    foreach (var key in profile.Unset)
                    {
                        w.WriteStringValue(key);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        });

        if (body.Length > MaxImportPayloadBytes)
        {
            throw new ArgumentException(
                $"A bulk import payload may be at most 5 MB; these {profiles.Count:N0} profiles make {body.Length:N0} bytes. Send smaller batches.",
                nameof(profiles));
        }

        return body;
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

    /// <summary>A string literal of Klaviyo's filter syntax: single-quoted, with backslash and quote escaped by a backslash.</summary>
    internal static string FilterString(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private static string FilterDate(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Query(params (string Key, string? Value)[] parameters)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in parameters)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&')
                .Append(Uri.EscapeDataString(key))
                .Append('=')
                .Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    private static string Escape(string id) => Uri.EscapeDataString(id);

    private static byte[] Body(Action<Utf8JsonWriter> writeData)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writeData(writer);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static string PathAndQueryOf(string link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery
        : link.StartsWith('/') ? link
        : throw new KlaviyoResponseException($"links.next '{link}' is not a URL.");

    private static int ToInt(long? value) => value is null ? 0 : (int)Math.Clamp(value.Value, int.MinValue, int.MaxValue);

    // ---- Parsing ----

    private static KlaviyoCampaign ParseCampaign(JsonElement element, Dictionary<(string Type, string Id), JsonElement> included)
    {
        JsonApi.RequireObject(element, "campaign");
        var id = JsonApi.RequireString(element, "id", "campaign");
        var what = $"campaign {id}";
        var attributes = JsonApi.RequireObject(element, "attributes", what);
        var attrWhat = what + ".attributes";

        var audiences = JsonApi.OptionalObject(attributes, "audiences", attrWhat);
        var includedAudiences = audiences is null ? [] : StringArray(audiences.Value, "included", attrWhat + ".audiences");
        var excluded = audiences is null ? [] : StringArray(audiences.Value, "excluded", attrWhat + ".audiences");

        var strategy = JsonApi.OptionalObject(attributes, "send_strategy", attrWhat);
        var sendStrategy = strategy is null
            ? new KlaviyoSendStrategy("unknown", null)
            : new KlaviyoSendStrategy(
                JsonApi.OptionalString(strategy.Value, "method", attrWhat + ".send_strategy") ?? "unknown",
                JsonApi.OptionalDate(strategy.Value, "datetime", attrWhat + ".send_strategy"));

        var messages = new List<KlaviyoCampaignMessage>();
        foreach (var messageId in JsonApi.ToManyIds(element, "campaign-messages", what) ?? [])
        {
            if (!included.TryGetValue(("campaign-message", messageId), out var message))
            {
                throw new KlaviyoResponseException(
                    $"{what} refers to campaign-message {messageId}, which is not in 'included'.");
            }

            messages.Add(ParseMessage(message));
        }

        var tags = new List<KlaviyoTag>();
        foreach (var tagId in JsonApi.ToManyIds(element, "tags", what) ?? [])
        {
            if (!included.TryGetValue(("tag", tagId), out var tag))
            {
                throw new KlaviyoResponseException($"{what} refers to tag {tagId}, which is not in 'included'.");
            }

            tags.Add(ParseTag(tag));
        }

        return new KlaviyoCampaign(
            id,
            JsonApi.RequireString(attributes, "name", attrWhat),
            JsonApi.RequireString(attributes, "status", attrWhat),
            JsonApi.OptionalBool(attributes, "archived", attrWhat) ?? false,
            new KlaviyoAudiences(includedAudiences, excluded),
            sendStrategy,
            JsonApi.OptionalDate(attributes, "scheduled_at", attrWhat),
            JsonApi.OptionalDate(attributes, "send_time", attrWhat),
            JsonApi.RequireDate(attributes, "created_at", attrWhat),
            JsonApi.RequireDate(attributes, "updated_at", attrWhat),
            messages,
            tags);
    }

    private static KlaviyoCampaignMessage ParseMessage(JsonElement element)
    {
        JsonApi.RequireObject(element, "campaign-message");
        var id = JsonApi.RequireString(element, "id", "campaign-message");
        var what = $"campaign-message {id}";
        var attributes = JsonApi.OptionalObject(element, "attributes", what);
        var definition = attributes is null ? null : JsonApi.OptionalObject(attributes.Value, "definition", what + ".attributes");
        var defWhat = what + ".definition";
        var content = definition is null ? null : JsonApi.OptionalObject(definition.Value, "content", defWhat);
        var contentWhat = defWhat + ".content";
        return new KlaviyoCampaignMessage(
            id,
            definition is null ? "email" : JsonApi.OptionalString(definition.Value, "channel", defWhat) ?? "email",
            definition is null ? null : JsonApi.OptionalString(definition.Value, "label", defWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "subject", contentWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "preview_text", contentWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "from_email", contentWhat),
            content is null ? null : JsonApi.OptionalString(content.Value, "from_label", contentWhat),
            JsonApi.ToOneId(element, "template", what));
    }

    private static KlaviyoTag ParseTag(JsonElement element)
    {
        JsonApi.RequireObject(element, "tag");
        var id = JsonApi.RequireString(element, "id", "tag");
        var attributes = JsonApi.RequireObject(element, "attributes", $"tag {id}");
        return new KlaviyoTag(id, JsonApi.RequireString(attributes, "name", $"tag {id}.attributes"));
    }

    private static KlaviyoProfile? ParseProfile(JsonElement element)
    {
        JsonApi.RequireObject(element, "profile");
        var id = JsonApi.OptionalString(element, "id", "profile");
        if (string.IsNullOrEmpty(id))
        {
            return null;
        }

        var what = $"profile {id}.attributes";
        var attributes = JsonApi.OptionalObject(element, "attributes", $"profile {id}");
        if (attributes is null)
        {
            return new KlaviyoProfile(id, null, null, null, null, null, null, new Dictionary<string, string?>());
        }

        var a = attributes.Value;
        var location = JsonApi.OptionalObject(a, "location", what);
        var properties = new Dictionary<string, string?>(StringComparer.Ordinal);
        var props = JsonApi.OptionalObject(a, "properties", what);
        if (props is not null)
        {
            foreach (var property in props.Value.EnumerateObject())
            {
                properties[property.Name] = JsonApi.AsText(property.Value);
            }
        }

        return new KlaviyoProfile(
            id,
            JsonApi.OptionalString(a, "email", what),
            JsonApi.OptionalString(a, "first_name", what),
            JsonApi.OptionalString(a, "last_name", what),
            location is null ? null : JsonApi.OptionalString(location.Value, "city", what + ".location"),
            location is null ? null : JsonApi.OptionalString(location.Value, "country", what + ".location"),
            JsonApi.OptionalDate(a, "joined_group_at", what),
            properties);
    }

    private static KlaviyoImportError ParseImportError(JsonElement element)
    {
        JsonApi.RequireObject(element, "import-error");
        var what = "import-error.attributes";
        var attributes = JsonApi.OptionalObject(element, "attributes", "import-error");
        if (attributes is null)
        {
            return new KlaviyoImportError(null, null, null, null, null);
        }

        var a = attributes.Value;
        string? email = null;
        string? profileId = null;
        if (a.TryGetProperty("original_payload", out var payload) && payload.ValueKind == JsonValueKind.Object)
        {
            // The payload is the profile as we sent it (type, id, attributes.email); tolerate a flat shape too.
            profileId = payload.TryGetProperty("id", out var pid) && pid.ValueKind == JsonValueKind.String ? pid.GetString() : null;
            var source = payload.TryGetProperty("attributes", out var pa) && pa.ValueKind == JsonValueKind.Object ? pa : payload;
            email = source.TryGetProperty("email", out var pe) && pe.ValueKind == JsonValueKind.String ? pe.GetString() : null;
        }

        return new KlaviyoImportError(
            JsonApi.OptionalString(a, "code", what),
            JsonApi.OptionalString(a, "title", what),
            JsonApi.OptionalString(a, "detail", what),
            email,
            profileId);
    }

    private static List<string> StringArray(JsonElement parent, string name, string what) =>
        JsonApi.OptionalArray(parent, name, what)
            .Select(item => item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new KlaviyoResponseException($"{what}.{name} holds a non-string."))
            .ToList();

    // ---- Transport ----

    private async Task<JsonDocument> GetRequiredAsync(KlaviyoEndpoint endpoint, string pathAndQuery, CancellationToken cancellationToken) =>
        await SendAsync(endpoint, HttpMethod.Get, pathAndQuery, body: null, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
        ?? throw new KlaviyoResponseException($"the answer to {endpoint.Key} has no body.");

    /// <summary>
    /// Sends one request through the handler chain. Returns the parsed body, or null for an empty body or (when
    /// <paramref name="nullOnNotFound"/>) a 404; throws the matching <see cref="KlaviyoException"/> otherwise.
    /// </summary>
    private Task<JsonDocument?> SendAsync(
        KlaviyoEndpoint endpoint, HttpMethod method, string pathAndQuery, byte[]? body, bool nullOnNotFound, CancellationToken cancellationToken) =>
        SendAsync(_connection, endpoint, method, pathAndQuery, body, nullOnNotFound, cancellationToken);

    private async Task<JsonDocument?> SendAsync(
        IKlaviyoConnection connection, KlaviyoEndpoint endpoint, HttpMethod method, string pathAndQuery, byte[]? body, bool nullOnNotFound, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, BuildUri(connection, pathAndQuery));

        // Read per request: the key and base URL can change at run time (Settings page, demo mode).
        request.Headers.TryAddWithoutValidation("Authorization", "Klaviyo-API-Key " + connection.ApiKey);
        request.Headers.TryAddWithoutValidation("revision", _options.CurrentValue.Revision);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(JsonApiMediaType));
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(JsonApiMediaType);
        }

        request.Options.Set(KlaviyoEndpoint.OptionKey, endpoint);

        var started = _time.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (TimeoutRejectedException ex)
        {
            throw new KlaviyoServerException(
                $"Klaviyo did not answer {endpoint.Key} in time; Refly retried for {KlaviyoDuration.Format(_time.GetElapsedTime(started))} and gave up.", null, [], ex);
        }
        catch (HttpRequestException ex) when (KlaviyoUnreachableException.IsConnectFailure(ex))
        {
            throw new KlaviyoUnreachableException(request.RequestUri!.Authority, KlaviyoUnreachableException.Describe(ex), ex);
        }
        catch (HttpRequestException ex)
        {
            throw new KlaviyoServerException(
                $"Klaviyo's connection failed on {endpoint.Key} ({ex.Message}); Refly retried for {KlaviyoDuration.Format(_time.GetElapsedTime(started))} and gave up.",
                ex.StatusCode, [], ex);
        }

        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return await ReadDocumentAsync(endpoint, response, cancellationToken).ConfigureAwait(false);
            }

            if (response.StatusCode == HttpStatusCode.NotFound && nullOnNotFound)
            {
                return null;
            }

            throw await ToExceptionAsync(endpoint, response, _time.GetElapsedTime(started), cancellationToken).ConfigureAwait(false);
        }
    }

    private static Uri BuildUri(IKlaviyoConnection connection, string pathAndQuery)
    {
        // Keep any path prefix of the base URL (e.g. a reverse proxy's /klaviyo): new Uri(base, "/api/...") would drop it.
        var baseUrl = connection.BaseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        return new Uri(baseUrl + pathAndQuery, UriKind.Absolute);
    }

    private static async Task<JsonDocument?> ReadDocumentAsync(KlaviyoEndpoint endpoint, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (bytes.Length == 0 || response.StatusCode == HttpStatusCode.NoContent)
        {
            return null;
        }

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            var start = Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 60)).ReplaceLineEndings(" ");
            throw new KlaviyoResponseException(
                $"the answer to {endpoint.Key} ({response.Content.Headers.ContentType?.MediaType ?? "no content type"}) is not valid JSON ({ex.Message}); it starts with \"{start}\"", ex);
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new KlaviyoResponseException($"the answer to {endpoint.Key} is JSON but not a JSON:API document (no top-level object).");
        }

        return doc;
    }

    private async Task<KlaviyoException> ToExceptionAsync(KlaviyoEndpoint endpoint, HttpResponseMessage response, TimeSpan elapsed, CancellationToken cancellationToken)
    {
        var errors = await ReadErrorsAsync(response, cancellationToken).ConfigureAwait(false);
        var status = response.StatusCode;
        var code = (int)status;
        var detail = errors.Select(e => e.Detail ?? e.Title).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
        var suffix = detail is null ? "" : $": {detail}";
        LogErrorAnswer(_logger, endpoint.Key, code, detail ?? "");

        return code switch
        {
            401 or 403 => new KlaviyoAuthenticationException(status, errors),
            404 => new KlaviyoNotFoundException($"Klaviyo found nothing for {endpoint.Key} (404){suffix}", errors),
            429 => new KlaviyoRateLimitException(
                $"Klaviyo kept rate-limiting {endpoint.Key} (429) after every retry{suffix}", errors, response.Headers.RetryAfter?.Delta),
            >= 500 => new KlaviyoServerException(
                $"Klaviyo kept failing {endpoint.Key} ({code} {response.ReasonPhrase ?? status.ToString()}) for {KlaviyoDuration.Format(elapsed)}; Refly retried and gave up{suffix}",
                status, errors),
            _ => new KlaviyoValidationException($"Klaviyo refused {endpoint.Key} ({code}){suffix}", status, errors),
        };
    }

    private static async Task<IReadOnlyList<KlaviyoError>> ReadErrorsAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            return [];
        }

        if (bytes.Length == 0)
        {
            return [];
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object
                || !doc.RootElement.TryGetProperty("errors", out var errors)
                || errors.ValueKind != JsonValueKind.Array)
            {
                return [];
            }

            return errors.EnumerateArray()
                .Where(e => e.ValueKind == JsonValueKind.Object)
                .Select(e => new KlaviyoError(
                    TextOf(e, "id"), TextOf(e, "code"), TextOf(e, "title"), TextOf(e, "detail"),
                    e.TryGetProperty("source", out var source) && source.ValueKind == JsonValueKind.Object ? TextOf(source, "pointer") : null))
                .ToList();
        }
        catch (JsonException)
        {
            // An error page that is not JSON (a proxy's HTML, say) still maps to its status; there is just no detail.
            return [];
        }

        static string? TextOf(JsonElement element, string name) =>
            element.TryGetProperty(name, out var value) ? JsonApi.AsText(value) : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Klaviyo answered {Endpoint} with {StatusCode}: {Detail}")]
    private static partial void LogErrorAnswer(ILogger logger, string endpoint, int statusCode, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Klaviyo returned a profile without an id from {Endpoint}; it was skipped")]
    private static partial void LogProfileWithoutId(ILogger logger, string endpoint);
}
