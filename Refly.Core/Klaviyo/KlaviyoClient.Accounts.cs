namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <inheritdoc />
    public Task<KlaviyoAccount> GetAccountAsync(CancellationToken cancellationToken) => GetAccountAsync(_connection, cancellationToken);

    /// <inheritdoc />
    public async Task<KlaviyoAccount> GetAccountAsync(IKlaviyoConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var doc = await SendAsync(connection, KlaviyoEndpoints.GetAccounts, HttpMethod.Get, "/api/accounts", body: null, nullOnNotFound: false, cancellationToken).ConfigureAwait(false)
            ?? throw new KlaviyoResponseException($"the answer to {KlaviyoEndpoints.GetAccounts.Key} has no body.");
        return KlaviyoResponseParser.Account(doc.RootElement);
    }
}
