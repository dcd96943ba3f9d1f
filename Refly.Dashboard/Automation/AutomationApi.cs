using Refly.Core.Campaigns;

namespace Refly.Dashboard.Automation;

/// <summary>The automation API (DESIGN.md, "Automation API"): JSON, bearer tokens, RFC 7807 errors.</summary>
internal static class AutomationApi
{
    public const string Policy = "Automation";

    public static IEndpointRouteBuilder MapAutomationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(Policy)
            .WithTags("Automation")
            .DisableAntiforgery();

        api.MapGet("/campaigns", async (CampaignQueryService campaigns, string? search, CampaignStatus? status, int? skip, int? take, CancellationToken ct) =>
            {
                var page = await campaigns.QueryAsync(new CampaignQuery(search, status, skip ?? 0, take ?? 500), ct);
                return TypedResults.Ok(new CampaignListDto(page.Items.Select(CampaignDto.From).ToList(), page.TotalCount));
            })
            .WithName("ListCampaigns")
            .WithSummary("Campaigns with status, send time, messages and personalization.");

        api.MapGet("/campaigns/{campaignId}", async Task<IResult> (string campaignId, CampaignQueryService campaigns, CancellationToken ct) =>
            {
                var campaign = await campaigns.FindAsync(campaignId, ct);
                return campaign is null
                    ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Campaign not found",
                        detail: $"No campaign with id '{campaignId}' has been synced from Klaviyo.")
                    : TypedResults.Ok(CampaignDto.From(campaign));
            })
            .WithName("GetCampaign")
            .WithSummary("One campaign by its Klaviyo campaign id.");

        return app;
    }
}
