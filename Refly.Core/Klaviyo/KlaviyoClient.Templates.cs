using System.Text.Json.Nodes;

namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <inheritdoc />
    public async Task<KlaviyoTemplate?> GetTemplateAsync(string templateId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        using var doc = await SendAsync(
            KlaviyoEndpoints.GetTemplate, HttpMethod.Get, $"/api/templates/{Escape(templateId)}",
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        return doc is null ? null : KlaviyoResponseParser.TemplateDocument(doc.RootElement);
    }

    /// <inheritdoc />
    public async Task<string> CreateTemplateAsync(string name, string html, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(html);

        // TemplateCreateHtmlOrDndQuery: attributes{name,editor_type,html}
        var body = JsonApiWriter.Document(new JsonApiResource("template")
        {
            Attributes = new JsonObject { ["name"] = name, ["editor_type"] = "CODE", ["html"] = html },
        });
        using var doc = await SendAsync(
            KlaviyoEndpoints.CreateTemplate, HttpMethod.Post, "/api/templates",
            body, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
            ?? throw new KlaviyoResponseException("the answer to create_template has no body.");
        return KlaviyoResponseParser.CreatedId(doc.RootElement, "template");
    }

    /// <inheritdoc />
    public async Task DeleteTemplateAsync(string templateId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        using var _ = await SendAsync(
            KlaviyoEndpoints.DeleteTemplate, HttpMethod.Delete, $"/api/templates/{Escape(templateId)}",
            body: null, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<KlaviyoRenderedTemplate?> RenderTemplateAsync(string templateId, JsonObject context, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templateId);
        ArgumentNullException.ThrowIfNull(context);

        // TemplateRenderQuery: data{type,id,attributes{context}}
        var body = JsonApiWriter.Document(new JsonApiResource("template", templateId)
        {
            Attributes = new JsonObject { ["context"] = context.DeepClone() },
        });
        using var doc = await SendAsync(
            KlaviyoEndpoints.RenderTemplate, HttpMethod.Post, "/api/template-render",
            body, nullOnNotFound: true, cancellationToken).ConfigureAwait(false);
        if (doc is null)
        {
            return null;
        }

        var template = KlaviyoResponseParser.TemplateDocument(doc.RootElement);
        return new KlaviyoRenderedTemplate(template.Id, template.Html ?? string.Empty, template.Text);
    }
}
