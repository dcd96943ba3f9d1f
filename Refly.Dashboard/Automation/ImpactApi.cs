using System.Globalization;
using Refly.Core.Impact;
using Refly.Core.Impact.Reporting;

namespace Refly.Dashboard.Automation;

/// <summary>One group's numbers (a campaign message, or the holdout's personalized or control group).</summary>
public sealed record ImpactRatesDto(long Recipients, double OpenRate, double ClickRate, double ConversionRate, double RevenuePerRecipient)
{
    public static ImpactRatesDto From(ImpactRates rates) =>
        new(rates.Recipients, rates.OpenRate, rates.ClickRate, rates.ConversionRate, rates.RevenuePerRecipient);
}

/// <summary>A campaign message's numbers and whether Refly personalized it.</summary>
public sealed record ImpactMessageDto(string MessageId, string Label, bool Personalized, long Recipients, double OpenRate, double ClickRate, double ConversionRate, double RevenuePerRecipient);

/// <summary>Personalized vs holdout.</summary>
public sealed record ImpactHoldoutDto(ImpactRatesDto Personalized, ImpactRatesDto Control);

/// <summary>One metric's lift with its 95% interval (absolute: a fraction for rates, currency for revenue).</summary>
public sealed record ImpactLiftDto(string Metric, double Absolute, double? Relative, double? Low, double? High, bool Significant);

/// <summary>GET /api/v1/campaigns/{campaignId}/impact.</summary>
public sealed record CampaignImpactDto(
    string CampaignId, IReadOnlyList<ImpactMessageDto> Messages, ImpactHoldoutDto? Holdout, IReadOnlyList<ImpactLiftDto> Lift,
    string Source, DateTimeOffset FetchedAt, DateTimeOffset? NextRefreshAt)
{
    public static CampaignImpactDto From(CampaignImpact impact) => new(
        impact.CampaignKlaviyoId,
        impact.Messages.Select(m => new ImpactMessageDto(m.MessageId, m.Label, m.Personalized, m.Rates.Recipients, m.Rates.OpenRate, m.Rates.ClickRate, m.Rates.ConversionRate, m.Rates.RevenuePerRecipient)).ToList(),
        impact.Holdout is { } h ? new ImpactHoldoutDto(ImpactRatesDto.From(h.Personalized), ImpactRatesDto.From(h.Control)) : null,
        impact.Lift.Select(l => new ImpactLiftDto(MetricName(l.Metric), l.Absolute, l.Relative, l.Low, l.High, l.Significant)).ToList(),
        impact.Source == ImpactSource.Events ? "events" : "reporting",
        impact.FetchedAt,
        impact.NextRefreshAt);

    /// <summary>The metric as the JSON names its field.</summary>
    public static string MetricName(ImpactMetric metric) => metric switch
    {
        ImpactMetric.OpenRate => "openRate",
        ImpactMetric.ClickRate => "clickRate",
        ImpactMetric.ConversionRate => "conversionRate",
        _ => "revenuePerRecipient",
    };
}

/// <summary>The answer of POST /api/v1/campaigns/{campaignId}/impact/refresh.</summary>
public sealed record ImpactRefreshDto(string CampaignId, DateTimeOffset QueuedAt, int QueriesLeftToday);

/// <summary>A campaign's results (Klaviyo's report per message, the holdout, the lift) and their on-demand refresh.</summary>
internal static class ImpactApi
{
    public static RouteGroupBuilder MapImpactApi(this RouteGroupBuilder api)
    {
        api.MapGet("/campaigns/{campaignId}/impact", async Task<IResult> (string campaignId, CampaignImpactService impacts, CancellationToken ct) =>
            {
                var result = await impacts.GetAsync(campaignId, ct);
                return result.State switch
                {
                    CampaignImpactState.Ready => TypedResults.Ok(CampaignImpactDto.From(result.Impact!)),
                    CampaignImpactState.NotFound => NotFound(result.Message),
                    CampaignImpactState.NotSent => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Campaign not sent yet", detail: result.Message,
                        extensions: new Dictionary<string, object?> { ["code"] = "not_sent" }),
                    _ => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "No results yet", detail: result.Message,
                        extensions: new Dictionary<string, object?> { ["code"] = "no_results_yet", ["nextFetchAt"] = result.NextFetchAt }),
                };
            })
            .WithName("GetCampaignImpact")
            .WithSummary("Did personalization work: per message (personalized or not) recipients and rates, the holdout, the lift with 95% bounds; 404 unknown, 409 not sent or no results yet.");

        api.MapPost("/campaigns/{campaignId}/impact/refresh", async Task<IResult> (
                string campaignId, CampaignReportQueue queue, CampaignReportTrigger trigger, Refly.Core.Impact.Holdouts.HoldoutRefreshTrigger holdouts, ReportingBudget budget, TimeProvider time, HttpContext http, CancellationToken ct) =>
            {
                var result = await queue.RequestRefreshAsync(campaignId, ct);
                switch (result.Outcome)
                {
                    case ReportRefreshOutcome.CampaignNotFound:
                        return NotFound($"No campaign with id '{campaignId}' has been synced from Klaviyo.");
                    case ReportRefreshOutcome.NotSent:
                        return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Campaign not sent yet",
                            detail: "Results are read from Klaviyo after the send; this campaign is not Sent.", extensions: new Dictionary<string, object?> { ["code"] = "not_sent" });
                    case ReportRefreshOutcome.BudgetSpent:
                        var next = result.NextAllowedAt!.Value;
                        var seconds = Math.Max(1, (long)Math.Ceiling((next - time.GetUtcNow()).TotalSeconds));
                        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                        return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Daily report budget spent",
                            detail: $"Klaviyo allows {ReportingOptions.KlaviyoDailyLimit} campaign reports a day per account and today's share is spent; the next fetch is allowed at {next.ToString("u", CultureInfo.InvariantCulture)}.",
                            extensions: new Dictionary<string, object?> { ["code"] = "budget_spent", ["nextAllowedAt"] = next });
                }
                await trigger.FireAsync(ct);
                // The holdout's events too (get_events has its own limits, not the report budget).
                await holdouts.FireAsync(campaignId, ct);
                var status = await budget.StatusAsync(ct);
                return TypedResults.Accepted($"/api/v1/campaigns/{campaignId}/impact", new ImpactRefreshDto(campaignId, result.NextAllowedAt!.Value, status.Remaining));
            })
            .WithName("RefreshCampaignImpact")
            .WithSummary("Reads the campaign's report again now (within Klaviyo's 1/s, 2/min): 202; 429 with Retry-After and the next allowed time when the day's budget is spent.");
        return api;
    }

    private static IResult NotFound(string detail) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Campaign not found", detail: detail);
}
