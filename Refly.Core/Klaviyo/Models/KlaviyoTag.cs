namespace Refly.Core.Klaviyo;

public sealed record KlaviyoTag(string Id, string Name);
