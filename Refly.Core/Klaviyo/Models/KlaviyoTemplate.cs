namespace Refly.Core.Klaviyo;

public sealed record KlaviyoTemplate(string Id, string Name, string EditorType, string? Html, string? Text);
