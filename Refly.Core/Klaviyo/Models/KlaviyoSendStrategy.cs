namespace Refly.Core.Klaviyo;

/// <summary>The campaign's send strategy as Klaviyo returns it: method ("static", "immediate", "smart_send_time", ...) and its datetime if any.</summary>
public sealed record KlaviyoSendStrategy(string Method, DateTimeOffset? Datetime);
