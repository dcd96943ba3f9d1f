using System.Globalization;
using System.Text.Json.Nodes;

namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <inheritdoc />
    public IAsyncEnumerable<KlaviyoCampaign> GetEmailCampaignsAsync(CancellationToken cancellationToken) =>
        GetAllPagesAsync(
            KlaviyoEndpoints.GetCampaigns,
            cursor => "/api/campaigns" + Query(
                ("filter", "equals(messages.channel,'email')"),
                ("include", "campaign-messages,tags"),
                ("page[size]", MaxPageSize.ToString(CultureInfo.InvariantCulture)),
                ("page[cursor]", cursor)),
            KlaviyoResponseParser.Campaigns,
            cancellationToken);

    /// <inheritdoc />
    public async Task<KlaviyoCampaign?> GetCampaignAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetCampaign, HttpMethod.Get,
            $"/api/campaigns/{Escape(campaignId)}" + Query(("include", "campaign-messages,tags")),
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        return doc is null ? null : KlaviyoResponseParser.CampaignDocument(doc.RootElement);
    }

    /// <inheritdoc />
    public async Task<KlaviyoCampaignMessage?> GetCampaignMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetCampaignMessage, HttpMethod.Get,
            $"/api/campaign-messages/{Escape(messageId)}" + Query(("include", "template")),
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        return doc is null ? null : KlaviyoResponseParser.MessageDocument(doc.RootElement);
    }

    /// <inheritdoc />
    public async Task UpdateCampaignMessageContentAsync(string messageId, string subject, string previewText, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        ArgumentNullException.ThrowIfNull(subject);
        ArgumentNullException.ThrowIfNull(previewText);

        // CampaignMessagePartialUpdateQuery: attributes{definition: EmailMessageDefinition{channel,content}}
        var body = JsonApiWriter.Document(new JsonApiResource("campaign-message", messageId)
        {
            Attributes = new JsonObject
            {
                ["definition"] = new JsonObject
                {
                    ["channel"] = "email",
                    ["content"] = new JsonObject { ["subject"] = subject, ["preview_text"] = previewText },
                },
            },
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

        // CampaignMessageAssignTemplateQuery: relationships{template{data{type,id}}}
        var body = JsonApiWriter.Document(new JsonApiResource("campaign-message", messageId)
        {
            Relationships = new Dictionary<string, JsonApiResource> { ["template"] = new("template", templateId) },
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
        return doc is null ? null : KlaviyoResponseParser.RecipientEstimate(doc.RootElement);
    }

    /// <inheritdoc />
    public async Task RevertSendJobAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);

        // CampaignSendJobPartialUpdateQuery: attributes{action}
        var body = JsonApiWriter.Document(new JsonApiResource("campaign-send-job", campaignId)
        {
            Attributes = new JsonObject { ["action"] = "revert" },
        });
        using var _ = await SendAsync(
            KlaviyoEndpoints.CancelCampaignSend, HttpMethod.Patch, $"/api/campaign-send-jobs/{Escape(campaignId)}",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task CreateSendJobAsync(string campaignId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(campaignId);

        // CampaignSendJobCreateQuery: data{type,id}
        var body = JsonApiWriter.Document(new JsonApiResource("campaign-send-job", campaignId));
        using var _ = await SendAsync(
            KlaviyoEndpoints.SendCampaign, HttpMethod.Post, "/api/campaign-send-jobs",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false);
    }
}
