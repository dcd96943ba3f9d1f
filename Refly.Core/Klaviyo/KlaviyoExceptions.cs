using System.Net;
using System.Net.Http;
using System.Net.Sockets;

namespace Refly.Core.Klaviyo;

/// <summary>One entry of Klaviyo's <c>errors[]</c> array.</summary>
public sealed record KlaviyoError(string? Id, string? Code, string? Title, string? Detail, string? SourcePointer);

/// <summary>Klaviyo answered with an error (after retries), could not be reached, or answered something unreadable.</summary>
public class KlaviyoException : Exception
{
    public KlaviyoException(string message, HttpStatusCode? statusCode = null, IReadOnlyList<KlaviyoError>? errors = null, Exception? innerException = null)
        : base(message, innerException)
    {
        StatusCode = statusCode;
        Errors = errors ?? [];
    }

    /// <summary>HTTP status of Klaviyo's answer; null when there was no answer.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>Klaviyo's <c>errors[]</c>, empty when the body had none.</summary>
    public IReadOnlyList<KlaviyoError> Errors { get; }

    /// <summary>The first error's detail (or title), the most useful line to show a person.</summary>
    public string? Detail => Errors.Select(e => e.Detail ?? e.Title).FirstOrDefault(d => !string.IsNullOrWhiteSpace(d));
}

/// <summary>401 or 403: the key is missing, wrong, revoked or lacks a scope.</summary>
public sealed class KlaviyoAuthenticationException(HttpStatusCode statusCode, IReadOnlyList<KlaviyoError> errors)
    : KlaviyoException("Klaviyo rejected the API key", statusCode, errors);

/// <summary>404: the resource does not exist (methods documented to return null on 404 do not throw it).</summary>
public sealed class KlaviyoNotFoundException(string message, IReadOnlyList<KlaviyoError> errors)
    : KlaviyoException(message, HttpStatusCode.NotFound, errors);

/// <summary>429 that persisted through every retry.</summary>
public sealed class KlaviyoRateLimitException(string message, IReadOnlyList<KlaviyoError> errors, TimeSpan? retryAfter)
    : KlaviyoException(message, HttpStatusCode.TooManyRequests, errors)
{
    /// <summary>The last Retry-After Klaviyo sent, if any.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>400, 409 or 422 (or another 4xx): Klaviyo refused the request; <see cref="KlaviyoException.Detail"/> says why.</summary>
public sealed class KlaviyoValidationException(string message, HttpStatusCode statusCode, IReadOnlyList<KlaviyoError> errors)
    : KlaviyoException(message, statusCode, errors);

/// <summary>5xx that persisted through every retry, or Klaviyo could not be reached in time.</summary>
public sealed class KlaviyoServerException(string message, HttpStatusCode? statusCode, IReadOnlyList<KlaviyoError> errors, Exception? innerException = null)
    : KlaviyoException(message, statusCode, errors, innerException);

/// <summary>
/// Klaviyo answered 2xx with a body that is not the JSON:API document the spec describes (not JSON, an HTML page, a
/// missing or mistyped member). Its message reads "Klaviyo returned a response Refly could not read: " + <see cref="Problem"/>.
/// </summary>
public sealed class KlaviyoResponseException(string problem, Exception? innerException = null)
    : KlaviyoException(MessagePrefix + problem, null, null, innerException)
{
    /// <summary>What every message of this exception starts with.</summary>
    public const string MessagePrefix = "Klaviyo returned a response Refly could not read: ";

    /// <summary>What was wrong with the answer, e.g. "document has no 'data'."</summary>
    public string Problem { get; } = problem;
}

/// <summary>
/// No connection to Klaviyo could be made at all (connection refused, host unreachable, name not resolved): nothing
/// answered, so the base URL, the network or a firewall is wrong. Retried only briefly (see
/// <see cref="KlaviyoServiceCollectionExtensions.ConnectFailureRetryAttempts"/>): unlike a timeout or a 5xx, waiting
/// minutes rarely helps, and the marketer should hear it within seconds.
/// </summary>
public sealed class KlaviyoUnreachableException(string host, string what, Exception innerException)
    : KlaviyoException(
        $"Refly could not reach Klaviyo at {host} ({what}). Check the Klaviyo connection in Settings (API base URL, network, firewall), then try again.",
        null, null, innerException)
{
    /// <summary>The host (and port) Refly tried to reach.</summary>
    public string Host { get; } = host;

    /// <summary>Whether <paramref name="exception"/> says no connection could be made (as opposed to a broken or slow one).</summary>
    public static bool IsConnectFailure(Exception? exception) =>
        exception is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError };

    /// <summary>The cause of a connect failure in a marketer's words ("the connection was refused").</summary>
    public static string Describe(HttpRequestException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.HttpRequestError == HttpRequestError.NameResolutionError)
        {
            return "its host name could not be resolved";
        }
        return (exception.InnerException as SocketException)?.SocketErrorCode switch
        {
            SocketError.ConnectionRefused => "the connection was refused",
            SocketError.HostUnreachable or SocketError.HostNotFound => "the host is unreachable",
            SocketError.NetworkUnreachable or SocketError.NetworkDown => "the network is unreachable",
            SocketError.TimedOut => "the connection timed out",
            _ => "no connection could be made: " + exception.Message,
        };
    }
}
