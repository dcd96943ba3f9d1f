namespace Refly.KlaviyoSandbox.JsonApi;

/// <summary>
/// An error answer in Klaviyo's shape. Handlers throw it; the pipeline writes
/// <c>{"errors":[{"id","status","code","title","detail","source"}]}</c>, so every refusal looks like Klaviyo's.
/// </summary>
public sealed class KlaviyoApiException(int status, string code, string title, string detail, string? pointer = null, string? parameter = null)
    : Exception(detail)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public string Title { get; } = title;
    public string Detail { get; } = detail;
    public string? Pointer { get; } = pointer;
    public string? Parameter { get; } = parameter;

    /// <summary>Seconds for the Retry-After header of a 429.</summary>
    public int? RetryAfterSeconds { get; init; }

    public static KlaviyoApiException InvalidParameter(string parameter, string detail) =>
        new(400, "invalid", "Invalid input.", detail, parameter: parameter);

    public static KlaviyoApiException InvalidBody(string pointer, string detail) =>
        new(400, "invalid", "Invalid input.", detail, pointer: pointer);

    public static KlaviyoApiException NotFound(string detail) =>
        new(404, "not_found", "Not found.", detail);

    /// <summary>A rule of Klaviyo's state machine refused the change (e.g. editing a Scheduled campaign).</summary>
    public static KlaviyoApiException Conflict(string detail, string? pointer = null) =>
        new(400, "invalid", "Invalid input.", detail, pointer: pointer);
}
