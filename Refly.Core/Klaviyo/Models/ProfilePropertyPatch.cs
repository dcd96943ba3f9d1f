namespace Refly.Core.Klaviyo;

/// <summary>One profile in a bulk import: properties to set and property names to unset.</summary>
public sealed record ProfilePropertyPatch(
    string ProfileId,
    string? Email,
    IReadOnlyDictionary<string, string> Set,
    IReadOnlyList<string> Unset);
