namespace Refly.Core.Klaviyo;

/// <summary>A profile with the attributes the personalizers read. <see cref="Properties"/> holds custom properties.</summary>
public sealed record KlaviyoProfile(
    string Id,
    string? Email,
    string? FirstName,
    string? LastName,
    string? City,
    string? Country,
    DateTimeOffset? JoinedGroupAt,
    IReadOnlyDictionary<string, string?> Properties);
