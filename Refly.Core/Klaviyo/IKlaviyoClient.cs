namespace Refly.Core.Klaviyo;

/// <summary>
/// Klaviyo's REST API (revision from <c>Klaviyo:Revision</c>) as the product uses it. The client only knows a base URL:
/// it cannot tell the built-in sandbox from the real Klaviyo. Every method throws <c>KlaviyoException</c>
/// (or a subclass) for an error answer after retries.
/// </summary>
public interface IKlaviyoClient
{
    // ---- Accounts ----
    /// <summary>GET /api/accounts: the account the key belongs to (used by "Test connection").</summary>
    Task<KlaviyoAccount> GetAccountAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The account that <paramref name="connection"/> (a base URL and key other than the one in use) opens: checks a key
    /// before it is saved. Throws like every call (<see cref="KlaviyoAuthenticationException"/> for a rejected key).
    /// </summary>
    Task<KlaviyoAccount> GetAccountAsync(IKlaviyoConnection connection, CancellationToken cancellationToken);

    // ---- Campaigns ----
    /// <summary>GET /api/campaigns with the email channel filter, including messages and tags, every page.</summary>
    IAsyncEnumerable<KlaviyoCampaign> GetEmailCampaignsAsync(CancellationToken cancellationToken);

    /// <summary>GET /api/campaigns/{id} including messages and tags; null when Klaviyo answers 404.</summary>
    Task<KlaviyoCampaign?> GetCampaignAsync(string campaignId, CancellationToken cancellationToken);

    /// <summary>GET /api/campaign-messages/{id} with its template relationship; null when 404.</summary>
    Task<KlaviyoCampaignMessage?> GetCampaignMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>PATCH /api/campaign-messages/{id}: sets the email subject and preview text (only while the campaign is a Draft).</summary>
    Task UpdateCampaignMessageContentAsync(string messageId, string subject, string previewText, CancellationToken cancellationToken);

    /// <summary>POST /api/campaign-message-assign-template.</summary>
    Task AssignTemplateAsync(string messageId, string templateId, CancellationToken cancellationToken);

    /// <summary>GET /api/campaign-recipient-estimations/{campaignId}: estimated recipients; null when none is available.</summary>
    Task<long?> GetRecipientEstimateAsync(string campaignId, CancellationToken cancellationToken);

    /// <summary>PATCH /api/campaign-send-jobs/{campaignId} with action "revert": a Scheduled campaign goes back to Draft.</summary>
    Task RevertSendJobAsync(string campaignId, CancellationToken cancellationToken);

    /// <summary>POST /api/campaign-send-jobs: schedules (or sends) the campaign with its own send strategy.</summary>
    Task CreateSendJobAsync(string campaignId, CancellationToken cancellationToken);

    // ---- Templates ----
    /// <summary>GET /api/templates/{id}; null when 404.</summary>
    Task<KlaviyoTemplate?> GetTemplateAsync(string templateId, CancellationToken cancellationToken);

    /// <summary>POST /api/templates: a new CODE template with this html; returns its id.</summary>
    Task<string> CreateTemplateAsync(string name, string html, CancellationToken cancellationToken);

    /// <summary>DELETE /api/templates/{id}; a template already gone is not an error.</summary>
    Task DeleteTemplateAsync(string templateId, CancellationToken cancellationToken);

    /// <summary>
    /// POST /api/template-render: the template's html and text rendered by Klaviyo with <paramref name="context"/>
    /// (a JSON object, e.g. <c>{"first_name": ..., "person": {...}}</c>); null when the template does not exist.
    /// </summary>
    Task<KlaviyoRenderedTemplate?> RenderTemplateAsync(string templateId, System.Text.Json.Nodes.JsonObject context, CancellationToken cancellationToken);

    // ---- Tags ----
    /// <summary>GET /api/tags?filter=equals(name,'...'); null when no tag has this name.</summary>
    Task<KlaviyoTag?> FindTagByNameAsync(string name, CancellationToken cancellationToken);

    /// <summary>GET /api/tags/{id}/relationships/campaigns: ids of the campaigns carrying the tag, every page.</summary>
    IAsyncEnumerable<string> GetCampaignIdsForTagAsync(string tagId, CancellationToken cancellationToken);

    // ---- Lists, segments, profiles ----
    /// <summary>GET /api/lists/{id} or /api/segments/{id} with additional-fields profile_count; null when 404.</summary>
    Task<KlaviyoGroup?> GetGroupAsync(KlaviyoGroupRef group, CancellationToken cancellationToken);

    /// <summary>
    /// One page of GET /api/lists/{id}/profiles or /api/segments/{id}/profiles (page size 100, sparse profile fields).
    /// <paramref name="cursor"/> is null for the first page, else the <see cref="KlaviyoPage{T}.NextCursor"/> of the previous page.
    /// <paramref name="joinedWindow"/> restricts a list/segment to profiles whose joined_group_at is in [From, To).
    /// </summary>
    Task<KlaviyoPage<KlaviyoProfile>> GetGroupProfilesPageAsync(
        KlaviyoGroupRef group, string? cursor, JoinedWindow? joinedWindow, CancellationToken cancellationToken);

    /// <summary>
    /// The earliest (or, with <paramref name="latest"/>, the latest) joined_group_at of the list's or segment's members:
    /// one profile sorted by joined_group_at. Null for an empty group. Used to split a large group into disjoint
    /// joined_group_at windows that are read concurrently.
    /// </summary>
    Task<DateTimeOffset?> GetJoinedBoundAsync(KlaviyoGroupRef group, bool latest, CancellationToken cancellationToken);

    /// <summary>GET /api/profiles?filter=equals(email,"..."): the profile with this e-mail; null when there is none.</summary>
    Task<KlaviyoProfile?> FindProfileByEmailAsync(string email, CancellationToken cancellationToken);

    // ---- Profile bulk import ----
    /// <summary>POST /api/profile-bulk-import-jobs (at most 10,000 profiles and 5 MB); returns the job id.</summary>
    Task<string> CreateProfileImportJobAsync(IReadOnlyList<ProfilePropertyPatch> profiles, CancellationToken cancellationToken);

    /// <summary>GET /api/profile-bulk-import-jobs/{id}.</summary>
    Task<KlaviyoImportJob> GetProfileImportJobAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>
    /// GET /api/profile-bulk-import-jobs filtered to status queued or processing, newest first, every page down to the
    /// first job created before <paramref name="createdSince"/>: the account's import jobs still running, including any
    /// whose submit answer never arrived.
    /// </summary>
    IAsyncEnumerable<KlaviyoImportJobListing> GetUnfinishedProfileImportJobsAsync(DateTimeOffset createdSince, CancellationToken cancellationToken);

    /// <summary>GET /api/profile-bulk-import-jobs/{id}/import-errors, every page.</summary>
    IAsyncEnumerable<KlaviyoImportError> GetProfileImportErrorsAsync(string jobId, CancellationToken cancellationToken);

    // ---- Metrics, events, reporting (impact) ----
    /// <summary>GET /api/metrics, every page: the account's metrics (to pick the conversion metric).</summary>
    Task<IReadOnlyList<KlaviyoMetric>> GetMetricsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// One page (up to 1,000, sorted by datetime) of GET /api/events for one metric in a datetime window.
    /// <paramref name="cursor"/> is null for the first page, else the <see cref="KlaviyoPage{T}.NextCursor"/> of the previous one.
    /// </summary>
    Task<KlaviyoPage<KlaviyoEvent>> GetEventsPageAsync(KlaviyoEventQuery query, string? cursor, CancellationToken cancellationToken);

    /// <summary>
    /// POST /api/campaign-values-reports for up to 100 campaigns, one row per campaign message. Klaviyo allows 1/s,
    /// 2/min and 225/day: the call waits out a 429 (Retry-After) rather than failing, so callers queue reports.
    /// </summary>
    Task<IReadOnlyList<KlaviyoCampaignValues>> QueryCampaignValuesAsync(KlaviyoCampaignValuesQuery query, CancellationToken cancellationToken);
}
