namespace Refly.Core.Klaviyo;

/// <summary>One job of the account's import job listing.</summary>
public sealed record KlaviyoImportJobListing(string Id, string Status, DateTimeOffset CreatedAt);
