namespace Refly.Core.Klaviyo;

public sealed record KlaviyoGroup(KlaviyoGroupRef Ref, string Name, long? ProfileCount);
