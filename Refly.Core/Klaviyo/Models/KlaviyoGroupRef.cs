namespace Refly.Core.Klaviyo;

/// <summary>A list or a segment id. Klaviyo's audiences mix both kinds of id; the sandbox and Klaviyo resolve which by lookup.</summary>
public sealed record KlaviyoGroupRef(KlaviyoGroupKind Kind, string Id);
