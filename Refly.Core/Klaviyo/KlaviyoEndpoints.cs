namespace Refly.Core.Klaviyo;

/// <summary>
/// One Klaviyo operation as the pacing handler sees it: its limiter key and Klaviyo's published limits.
/// </summary>
/// <param name="Key">Limiter key: the spec's operationId (plus a suffix where a parameter changes the limits).</param>
/// <param name="BurstPerSecond">Klaviyo's "Burst" limit, requests per second.</param>
/// <param name="SteadyPerMinute">Klaviyo's "Steady" limit, requests per minute.</param>
/// <param name="DailyLimit">Klaviyo's "Daily" limit, requests per day, where the spec states one (the reporting operations).</param>
public sealed record KlaviyoEndpoint(string Key, int BurstPerSecond, int SteadyPerMinute, int? DailyLimit = null)
{
    /// <summary>The request option that carries the endpoint from the client to the pacing handler.</summary>
    public static readonly HttpRequestOptionsKey<KlaviyoEndpoint> OptionKey = new("Refly.Klaviyo.Endpoint");
}

/// <summary>
/// Every operation the client calls, with the rate limits stated in its description in Klaviyo's OpenAPI
/// (revision 2026-07-15, "Burst: `n/s` Steady: `n/m`"). Keep this the only place limits are written.
/// </summary>
public static class KlaviyoEndpoints
{
    // accounts.json
    /// <summary>get_accounts: GET /api/accounts.</summary>
    public static readonly KlaviyoEndpoint GetAccounts = new("get_accounts", 1, 15);

    // campaigns.json
    /// <summary>get_campaigns: GET /api/campaigns.</summary>
    public static readonly KlaviyoEndpoint GetCampaigns = new("get_campaigns", 10, 150);

    /// <summary>get_campaign: GET /api/campaigns/{id}.</summary>
    public static readonly KlaviyoEndpoint GetCampaign = new("get_campaign", 10, 150);

    /// <summary>get_campaign_message: GET /api/campaign-messages/{id}.</summary>
    public static readonly KlaviyoEndpoint GetCampaignMessage = new("get_campaign_message", 10, 150);

    /// <summary>update_campaign_message: PATCH /api/campaign-messages/{id}.</summary>
    public static readonly KlaviyoEndpoint UpdateCampaignMessage = new("update_campaign_message", 10, 150);

    /// <summary>assign_template_to_campaign_message: POST /api/campaign-message-assign-template.</summary>
    public static readonly KlaviyoEndpoint AssignTemplateToCampaignMessage = new("assign_template_to_campaign_message", 10, 150);

    /// <summary>get_campaign_recipient_estimation: GET /api/campaign-recipient-estimations/{id}.</summary>
    public static readonly KlaviyoEndpoint GetCampaignRecipientEstimation = new("get_campaign_recipient_estimation", 10, 150);

    /// <summary>cancel_campaign_send: PATCH /api/campaign-send-jobs/{id} (cancel or revert).</summary>
    public static readonly KlaviyoEndpoint CancelCampaignSend = new("cancel_campaign_send", 10, 150);

    /// <summary>send_campaign: POST /api/campaign-send-jobs.</summary>
    public static readonly KlaviyoEndpoint SendCampaign = new("send_campaign", 10, 150);

    // templates.json
    /// <summary>get_template: GET /api/templates/{id}.</summary>
    public static readonly KlaviyoEndpoint GetTemplate = new("get_template", 75, 750);

    /// <summary>create_template: POST /api/templates.</summary>
    public static readonly KlaviyoEndpoint CreateTemplate = new("create_template", 75, 750);

    /// <summary>delete_template: DELETE /api/templates/{id}.</summary>
    public static readonly KlaviyoEndpoint DeleteTemplate = new("delete_template", 75, 750);

    /// <summary>render_template: POST /api/template-render.</summary>
    public static readonly KlaviyoEndpoint RenderTemplate = new("render_template", 3, 60);

    // tags.json
    /// <summary>get_tags: GET /api/tags.</summary>
    public static readonly KlaviyoEndpoint GetTags = new("get_tags", 3, 60);

    /// <summary>get_campaign_ids_for_tag: GET /api/tags/{id}/relationships/campaigns.</summary>
    public static readonly KlaviyoEndpoint GetCampaignIdsForTag = new("get_campaign_ids_for_tag", 3, 60);

    // lists.json
    /// <summary>get_list: GET /api/lists/{id} without additional fields.</summary>
    public static readonly KlaviyoEndpoint GetList = new("get_list", 75, 750);

    /// <summary>get_list with <c>additional-fields[list]=profile_count</c>, which the spec limits separately.</summary>
    public static readonly KlaviyoEndpoint GetListWithProfileCount = new("get_list+profile_count", 1, 15);

    /// <summary>get_profiles_for_list: GET /api/lists/{id}/profiles (without predictive_analytics).</summary>
    public static readonly KlaviyoEndpoint GetProfilesForList = new("get_profiles_for_list", 75, 750);

    // segments.json
    /// <summary>get_segment: GET /api/segments/{id} without additional fields.</summary>
    public static readonly KlaviyoEndpoint GetSegment = new("get_segment", 75, 750);

    /// <summary>get_segment with <c>additional-fields[segment]=profile_count</c>, which the spec limits separately.</summary>
    public static readonly KlaviyoEndpoint GetSegmentWithProfileCount = new("get_segment+profile_count", 1, 15);

    /// <summary>get_profiles_for_segment: GET /api/segments/{id}/profiles.</summary>
    public static readonly KlaviyoEndpoint GetProfilesForSegment = new("get_profiles_for_segment", 75, 750);

    // profiles.json
    /// <summary>get_profiles: GET /api/profiles (looked up by e-mail).</summary>
    public static readonly KlaviyoEndpoint GetProfiles = new("get_profiles", 75, 750);

    /// <summary>bulk_import_profiles: POST /api/profile-bulk-import-jobs.</summary>
    public static readonly KlaviyoEndpoint BulkImportProfiles = new("bulk_import_profiles", 10, 150);

    /// <summary>get_bulk_import_profiles_jobs: GET /api/profile-bulk-import-jobs.</summary>
    public static readonly KlaviyoEndpoint GetBulkImportProfilesJobs = new("get_bulk_import_profiles_jobs", 10, 150);

    /// <summary>get_bulk_import_profiles_job: GET /api/profile-bulk-import-jobs/{job_id}.</summary>
    public static readonly KlaviyoEndpoint GetBulkImportProfilesJob = new("get_bulk_import_profiles_job", 10, 150);

    /// <summary>get_errors_for_bulk_import_profiles_job: GET /api/profile-bulk-import-jobs/{id}/import-errors.</summary>
    public static readonly KlaviyoEndpoint GetErrorsForBulkImportProfilesJob = new("get_errors_for_bulk_import_profiles_job", 10, 150);

    // metrics.json
    /// <summary>get_metrics: GET /api/metrics.</summary>
    public static readonly KlaviyoEndpoint GetMetrics = new("get_metrics", 10, 150);

    // events.json
    /// <summary>get_events: GET /api/events.</summary>
    public static readonly KlaviyoEndpoint GetEvents = new("get_events", 350, 3500);

    // reporting.json
    /// <summary>query_campaign_values: POST /api/campaign-values-reports (also 225 per day).</summary>
    public static readonly KlaviyoEndpoint QueryCampaignValues = new("query_campaign_values", 1, 2, DailyLimit: 225);

    /// <summary>Every endpoint above, for tests and diagnostics.</summary>
    public static IReadOnlyList<KlaviyoEndpoint> All { get; } =
    [
        GetAccounts, GetCampaigns, GetCampaign, GetCampaignMessage, UpdateCampaignMessage, AssignTemplateToCampaignMessage,
        GetCampaignRecipientEstimation, CancelCampaignSend, SendCampaign, GetTemplate, CreateTemplate, DeleteTemplate,
        GetTags, GetCampaignIdsForTag, GetList, GetListWithProfileCount, GetProfilesForList, GetSegment,
        GetSegmentWithProfileCount, GetProfilesForSegment, BulkImportProfiles, GetBulkImportProfilesJobs,
        GetBulkImportProfilesJob, GetErrorsForBulkImportProfilesJob, RenderTemplate, GetProfiles,
        GetMetrics, GetEvents, QueryCampaignValues,
    ];
}
