namespace Refly.Core.Klaviyo;

/// <summary>
/// Reads each response body into memory inside the attempt, so that the attempt timeout covers the body too and a body
/// cut off mid-way fails the attempt (an <see cref="HttpRequestException"/>, retried as a network failure) instead of
/// surfacing later as an unreadable answer or a read that never ends. Klaviyo's bodies are small (pages of 100).
/// </summary>
internal sealed class KlaviyoResponseBufferingHandler : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        try
        {
            await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException || ex is HttpRequestException { InnerException: IOException })
        {
            response.Dispose();
            var cause = ex as IOException ?? (IOException)ex.InnerException!;
            throw new HttpRequestException(HttpRequestError.ResponseEnded, $"the answer was cut off: {cause.Message}", cause);
        }
        catch (Exception)
        {
            response.Dispose();
            throw;
        }
        return response;
    }
}
