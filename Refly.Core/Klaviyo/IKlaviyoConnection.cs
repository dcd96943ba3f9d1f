using Microsoft.Extensions.Options;

namespace Refly.Core.Klaviyo;

/// <summary>
/// Where and as whom the Klaviyo client talks, read for every request so that a key changed at run time
/// (Settings page, demo mode) takes effect without a restart. Replace the registration to supply another source.
/// </summary>
public interface IKlaviyoConnection
{
    /// <summary>Absolute base URL; the client appends <c>/api/...</c>.</summary>
    Uri BaseUrl { get; }

    /// <summary>Private API key sent as <c>Authorization: Klaviyo-API-Key &lt;key&gt;</c>.</summary>
    string ApiKey { get; }
}

/// <summary>The default <see cref="IKlaviyoConnection"/>: the current <see cref="KlaviyoOptions"/>.</summary>
public sealed class OptionsKlaviyoConnection(IOptionsMonitor<KlaviyoOptions> options) : IKlaviyoConnection
{
    /// <inheritdoc />
    public Uri BaseUrl => new(options.CurrentValue.BaseUrl, UriKind.Absolute);

    /// <inheritdoc />
    public string ApiKey => options.CurrentValue.ApiKey;
}

/// <summary>A fixed base URL and key, e.g. a key typed in Settings that is checked before it is saved.</summary>
public sealed record KlaviyoCredentials(Uri BaseUrl, string ApiKey) : IKlaviyoConnection
{
    /// <summary>Never the key: records print their members.</summary>
    public override string ToString() => $"KlaviyoCredentials {{ BaseUrl = {BaseUrl} }}";
}
