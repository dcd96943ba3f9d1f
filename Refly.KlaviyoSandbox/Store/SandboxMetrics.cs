namespace Refly.KlaviyoSandbox.Store;

/// <summary>A metric of the sandbox account, with the integration Klaviyo reports it under.</summary>
/// <param name="Code">The metric's index in <see cref="SandboxMetrics.All"/>: what an event record stores (one byte).</param>
/// <param name="Id">The metric id (case-sensitive, as Klaviyo's).</param>
/// <param name="Name">The metric's name, e.g. "Opened Email".</param>
/// <param name="IntegrationId">Id of the integration object.</param>
/// <param name="IntegrationKey">The integration's key, e.g. "klaviyo".</param>
/// <param name="IntegrationName">What <c>equals(integration.name,...)</c> matches.</param>
/// <param name="IntegrationCategory">What <c>equals(integration.category,...)</c> matches.</param>
public sealed record SandboxMetric(byte Code, string Id, string Name, string IntegrationId, string IntegrationKey, string IntegrationName, string IntegrationCategory);

/// <summary>
/// The account's metrics: Klaviyo's own email metrics (integration "Klaviyo", category "Internal") and the shop's
/// (integration "Shopify", category "eCommerce"). Fixed ids, so tests and demo data can name them. Campaign sends
/// generate events for the first four; the others exist in the account as they would in a real one, without events.
/// </summary>
public static class SandboxMetrics
{
    public const byte ReceivedEmail = 0;
    public const byte OpenedEmail = 1;
    public const byte ClickedEmail = 2;
    public const byte PlacedOrder = 3;

    public static readonly IReadOnlyList<SandboxMetric> All =
    [
        Klaviyo(ReceivedEmail, "RcvEm6", "Received Email"),
        Klaviyo(OpenedEmail, "OpnEm6", "Opened Email"),
        Klaviyo(ClickedEmail, "ClkEm6", "Clicked Email"),
        Shopify(PlacedOrder, "PlcOr6", "Placed Order"),
        Klaviyo(4, "BncEm6", "Bounced Email"),
        Klaviyo(5, "UnsEm6", "Unsubscribed from Email Marketing"),
        Klaviyo(6, "SpmEm6", "Marked Email as Spam"),
        Shopify(7, "VwPrd6", "Viewed Product"),
        Shopify(8, "StChk6", "Started Checkout"),
    ];

    /// <summary>Metric ids are case-sensitive in Klaviyo.</summary>
    public static SandboxMetric? Find(string id) => All.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));

    public static SandboxMetric ByCode(byte code) => All[code];

    private static SandboxMetric Klaviyo(byte code, string id, string name) => new(code, id, name, "0rG4eQ", "klaviyo", "Klaviyo", "Internal");

    private static SandboxMetric Shopify(byte code, string id, string name) => new(code, id, name, "0eMvjm", "shopify", "Shopify", "eCommerce");
}
