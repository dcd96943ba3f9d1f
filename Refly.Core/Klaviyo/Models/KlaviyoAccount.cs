namespace Refly.Core.Klaviyo;

public sealed record KlaviyoAccount(string Id, string? OrganizationName, string? DefaultSenderEmail);
