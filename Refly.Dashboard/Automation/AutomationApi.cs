using System.Globalization;
using FluentValidation.Results;
using Refly.Core.Campaigns;
using Refly.Core.Personalization;

namespace Refly.Dashboard.Automation;

/// <summary>The automation API (README, "Automation API"): JSON, bearer tokens, RFC 7807 errors.</summary>
internal static class AutomationApi
{
    public const string Policy = "Automation";

    /// <summary>Largest page of campaigns one call returns.</summary>
    public const int MaxTake = 500;

    /// <summary>
    /// Requests answered as an API (bearer token, JSON problem details, never a redirect to the sign-in page): the
    /// automation API and its OpenAPI document.
    /// </summary>
    public static bool IsApiRequest(HttpRequest request) =>
        request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/openapi");

    /// <summary>The OpenAPI document declares the bearer scheme every operation needs.</summary>
    public static void AddAutomationOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options => options.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new Microsoft.OpenApi.OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, Microsoft.OpenApi.IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[BearerScheme] = new Microsoft.OpenApi.OpenApiSecurityScheme
            {
                Type = Microsoft.OpenApi.SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An automation token from Automation:Tokens or one created in Admin > Settings.",
            };
            document.Security ??= [];
            document.Security.Add(new Microsoft.OpenApi.OpenApiSecurityRequirement
            {
                [new Microsoft.OpenApi.OpenApiSecuritySchemeReference(BearerScheme, document)] = [],
            });
            return Task.CompletedTask;
        }));

    private const string BearerScheme = "Bearer";

    public static IEndpointRouteBuilder MapAutomationApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1")
            .RequireAuthorization(Policy)
            .WithTags("Automation")
            .DisableAntiforgery();

        api.MapGet("/campaigns", async Task<IResult> (CampaignQueryService campaigns, RunQueryService runs, string? search, CampaignStatus? status, int? skip, int? take, CancellationToken ct) =>
            {
                if (skip < 0 || take is < 1 or > MaxTake)
                {
                    return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Invalid paging",
                        detail: $"'skip' must be 0 or more and 'take' between 1 and {MaxTake} (got skip={skip?.ToString(CultureInfo.InvariantCulture) ?? "none"}, take={take?.ToString(CultureInfo.InvariantCulture) ?? "none"}).");
                }
                var page = await campaigns.QueryAsync(new CampaignQuery(search, status, skip ?? 0, take ?? MaxTake), ct);
                var latest = await runs.LatestByCampaignAsync(page.Items.Select(c => c.KlaviyoId).ToList(), ct);
                return TypedResults.Ok(new CampaignListDto(
                    page.Items.Select(c => CampaignDto.From(c, latest.GetValueOrDefault(c.KlaviyoId))).ToList(), page.TotalCount));
            })
            .WithName("ListCampaigns")
            .WithSummary("Campaigns with status, send time, messages and personalization.");

        api.MapGet("/campaigns/{campaignId}", async Task<IResult> (string campaignId, CampaignQueryService campaigns, RunQueryService runs, CancellationToken ct) =>
            {
                var campaign = await campaigns.FindAsync(campaignId, ct);
                if (campaign is null)
                {
                    return CampaignNotFound(campaignId);
                }
                var latest = await runs.LatestByCampaignAsync([campaign.KlaviyoId], ct);
                return TypedResults.Ok(CampaignDto.From(campaign, latest.GetValueOrDefault(campaign.KlaviyoId)));
            })
            .WithName("GetCampaign")
            .WithSummary("One campaign by its Klaviyo campaign id.");

        api.MapGet("/campaigns/{campaignId}/runs", async Task<IResult> (string campaignId, CampaignQueryService campaigns, RunQueryService runs, CancellationToken ct) =>
            {
                if (await campaigns.FindAsync(campaignId, ct) is null)
                {
                    return CampaignNotFound(campaignId);
                }
                var history = await runs.HistoryAsync(campaignId, ct);
                return TypedResults.Ok(new RunListDto(history.Select(RunDto.From).ToList()));
            })
            .WithName("ListCampaignRuns")
            .WithSummary("Every personalization run of the campaign, newest first: trigger, who started it, state, counts, coverage, times.");

        api.MapPost("/campaigns/{campaignId}/personalization", async Task<IResult> (
                string campaignId, StartPersonalizationBody? body, PersonalizationRunService service, RunQueryService runs, HttpContext http, CancellationToken ct) =>
            {
                CampaignBrief? brief = null;
                if (body?.Brief is { } briefBody)
                {
                    var (parsed, problems) = briefBody.ToBrief();
                    if (parsed is null)
                    {
                        return InvalidBrief(problems.Select(p => p with { Field = $"brief.{p.Field}" }).ToList());
                    }
                    brief = parsed;
                }
                var request = new StartRunRequest(campaignId, body?.MessageIds ?? [], RunTrigger.Manual, "automation API") 
                {
                    Personalizer = body?.Personalizer,
                    Brief = brief,
                    HoldoutShare = body?.HoldoutShare ?? 0,
                };
                var result = await service.StartAsync(request, ct);
                if (!result.Succeeded)
                {
                    return Refusal(result.Errors);
                }
                var view = await runs.GetAsync(result.Run!.Id, ct) ?? runs.ToView(result.Run!);
                return TypedResults.Accepted($"/api/v1/runs/{view.RunId}", RunDto.From(view));
            })
            .WithMetadata(new ExpectedBody("""{"messageIds": ["<message id>", ...], "brief": {"goal": "...", "tone": "warm", "avoidWords": [], "allowedFacts": ["LoyaltyTier"], "language": "en"}, "holdoutShare": 0.1}"""))
            .WithName("StartPersonalization")
            .WithSummary("Starts personalizing the selected messages; 202 with the run, 400/404/409/422 with the reason.");

        api.MapGet("/campaigns/{campaignId}/brief", async Task<IResult> (string campaignId, CampaignQueryService campaigns, CampaignBriefStore briefs, CancellationToken ct) =>
            {
                if (await campaigns.FindAsync(campaignId, ct) is null)
                {
                    return CampaignNotFound(campaignId);
                }
                var saved = await briefs.FindAsync(campaignId, ct);
                return TypedResults.Ok(new CampaignBriefDto(campaignId, saved is not null, BriefDto.From(saved ?? CampaignBrief.Default)));
            })
            .WithName("GetCampaignBrief")
            .WithSummary("The campaign's brief (goal, tone, words to avoid, allowed facts, language) that manual, API and tag runs use.");

        api.MapPut("/campaigns/{campaignId}/brief", async Task<IResult> (
                string campaignId, BriefDto? body, CampaignQueryService campaigns, CampaignBriefStore briefs, FluentValidation.IValidator<CampaignBrief> validator, CancellationToken ct) =>
            {
                if (await campaigns.FindAsync(campaignId, ct) is null)
                {
                    return CampaignNotFound(campaignId);
                }
                var (brief, problems) = (body ?? BriefDto.From(CampaignBrief.Default)).ToBrief();
                if (brief is null)
                {
                    return InvalidBrief(problems);
                }
                var validation = await validator.ValidateAsync(brief, ct);
                if (!validation.IsValid)
                {
                    return InvalidBrief(validation.Errors.Select(e => new BriefProblem(CamelCase(e.PropertyName), e.ErrorMessage)).ToList());
                }
                var saved = await briefs.SaveAsync(campaignId, brief, "automation API", ct);
                return TypedResults.Ok(new CampaignBriefDto(campaignId, true, BriefDto.From(saved)));
            })
            .WithMetadata(new ExpectedBody("""{"goal": "...", "tone": "warm", "avoidWords": ["cheap"], "allowedFacts": ["LoyaltyTier", "Location"], "language": "en"}"""))
            .WithName("SaveCampaignBrief")
            .WithSummary("Saves the campaign's brief; 400 with each field's problem.");

        api.MapDelete("/campaigns/{campaignId}/personalization", async Task<IResult> (
                string campaignId, PersonalizationRunService service, RunQueryService runs, CancellationToken ct) =>
            {
                var result = await service.CancelCampaignAsync(campaignId, "automation API", ct);
                return result.Succeeded
                    ? TypedResults.Accepted($"/api/v1/runs/{result.Run!.Id}", RunDto.From(runs.ToView(result.Run)))
                    : TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Nothing to cancel", detail: result.ErrorMessage);
            })
            .WithName("CancelPersonalization")
            .WithSummary("Cancels the campaign's active run: 202; 409 when none is active.");

        api.MapGet("/runs/{runId:guid}", async Task<IResult> (Guid runId, RunQueryService runs, CancellationToken ct) =>
            {
                var run = await runs.GetAsync(runId, ct);
                return run is null
                    ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Run not found", detail: $"No personalization run with id '{runId}'.")
                    : TypedResults.Ok(RunDto.From(run));
            })
            .WithName("GetRun")
            .WithSummary("One run: state, trigger, message ids, counts, started/finished, error.");

        api.MapPreviewApi();
        api.MapImpactApi();

        // Anything else under /api/v1 (an unknown path, or a known one with the wrong method or content type) is
        // answered by routing and ApiProblemMiddleware as problem details, behind the same token.
        app.MapOpenApi().RequireAuthorization(Policy);
        return app;
    }

    private static IResult CampaignNotFound(string campaignId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Campaign not found",
            detail: $"No campaign with id '{campaignId}' has been synced from Klaviyo.");

    /// <summary>FluentValidation's reasons as problem details; the status follows the first reason.</summary>
    private static IResult Refusal(IReadOnlyList<ValidationFailure> errors)
    {
        var code = errors[0].ErrorCode;
        var status = code switch
        {
            StartRunErrors.CampaignNotFound => StatusCodes.Status404NotFound,
            StartRunErrors.NoMessageSelected => StatusCodes.Status400BadRequest,
            StartRunErrors.InvalidBrief => StatusCodes.Status400BadRequest,
            StartRunErrors.InvalidHoldout => StatusCodes.Status400BadRequest,
            StartRunErrors.RunAlreadyActive => StatusCodes.Status409Conflict,
            _ => StatusCodes.Status422UnprocessableEntity,
        };
        return TypedResults.Problem(
            statusCode: status,
            title: "Personalization refused",
            detail: string.Join(" ", errors.Select(e => e.ErrorMessage).Distinct()),
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = errors.Select(e => new { code = e.ErrorCode, message = e.ErrorMessage, field = CamelCase(e.PropertyName) }).ToList(),
            });
    }

    private static IResult InvalidBrief(IReadOnlyList<BriefProblem> problems) =>
        TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Invalid brief",
            detail: string.Join(" ", problems.Select(p => p.Message).Distinct()),
            extensions: new Dictionary<string, object?>
            {
                ["errors"] = problems.Select(p => new { code = StartRunErrors.InvalidBrief, message = p.Message, field = p.Field }).ToList(),
            });

    // "Brief.AvoidWords[0]" -> "brief.avoidWords[0]", as the JSON body spells it.
    private static string CamelCase(string propertyName) =>
        string.Join('.', propertyName.Split('.').Select(part => part.Length == 0 ? part : string.Concat(char.ToLowerInvariant(part[0]).ToString(), part.AsSpan(1))));
}

/// <summary>What the body of an endpoint looks like, said in the 400 answer to a body that could not be read.</summary>
internal sealed record ExpectedBody(string Example);
