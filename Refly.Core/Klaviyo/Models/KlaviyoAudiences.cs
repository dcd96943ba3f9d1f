namespace Refly.Core.Klaviyo;

public sealed record KlaviyoAudiences(IReadOnlyList<string> Included, IReadOnlyList<string> Excluded);
