namespace Refly.Core.Klaviyo;

/// <summary>What one page of GET /api/events asks for: one metric's events in [From, To), optionally of one profile.</summary>
/// <param name="MetricId">The metric (custom metrics are not supported by Klaviyo's metric_id filter).</param>
/// <param name="From">Inclusive lower bound of the event datetime.</param>
/// <param name="To">Exclusive upper bound of the event datetime.</param>
/// <param name="ProfileId">Only this profile's events, when set.</param>
public sealed record KlaviyoEventQuery(string MetricId, DateTimeOffset From, DateTimeOffset To, string? ProfileId = null);

/// <summary>An event as impact measurement needs it: who, what, when, and which campaign message it belongs to.</summary>
/// <param name="Id">The event id.</param>
/// <param name="MetricId">The event's metric.</param>
/// <param name="ProfileId">The profile, when the event has one.</param>
/// <param name="Datetime">When it happened.</param>
/// <param name="MessageId"><c>$message</c>: the campaign message of an email event (Received, Opened, Clicked).</param>
/// <param name="AttributedMessageId"><c>$attributed_message</c>: the message a conversion (e.g. Placed Order) is attributed to.</param>
/// <param name="Value"><c>$value</c>: the conversion's value, when it has one.</param>
public sealed record KlaviyoEvent(
    string Id, string MetricId, string? ProfileId, DateTimeOffset Datetime, string? MessageId, string? AttributedMessageId, decimal? Value);
