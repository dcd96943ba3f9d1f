namespace Refly.Core.Klaviyo;

public sealed record KlaviyoImportError(string? Code, string? Title, string? Detail, string? Email, string? ProfileId);
