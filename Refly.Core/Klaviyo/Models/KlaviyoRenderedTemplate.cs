namespace Refly.Core.Klaviyo;

/// <summary>A template as Klaviyo rendered it with a context (render_template): its html and plain-text versions.</summary>
public sealed record KlaviyoRenderedTemplate(string TemplateId, string Html, string? Text);
