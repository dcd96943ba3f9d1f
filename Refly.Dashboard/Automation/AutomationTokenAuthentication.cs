using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Refly.Core.Automation;
using Refly.Dashboard.Accounts;

namespace Refly.Dashboard.Automation;

/// <summary>Options of the "Automation" section: bearer tokens accepted by the automation API.</summary>
public sealed class AutomationOptions
{
    public const string SectionName = "Automation";

    /// <summary>Shortest token accepted from configuration: 32 characters cannot be guessed through a throttled API.</summary>
    public const int MinimumTokenLength = 32;

    /// <summary>Accepted tokens; none means the automation API answers 401 to every call.</summary>
    public List<string> Tokens { get; set; } = [];

    /// <summary>Wrong tokens one client address may present per <see cref="FailedAttemptWindow"/> before it gets 429.</summary>
    public int FailedAttemptsPerClient { get; set; } = 10;

    public TimeSpan FailedAttemptWindow { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Refuses the start with a clear reason when a configured token is too short (the token itself is never shown).</summary>
internal sealed class AutomationOptionsValidator : IValidateOptions<AutomationOptions>
{
    public ValidateOptionsResult Validate(string? name, AutomationOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.Tokens.Count; i++)
        {
            var length = options.Tokens[i]?.Length ?? 0;
            if (length is > 0 and < AutomationOptions.MinimumTokenLength)
            {
                failures.Add($"Automation:Tokens:{i} is {length} characters long; automation tokens must be at least {AutomationOptions.MinimumTokenLength} " +
                             "characters. Generate one with `openssl rand -base64 32`, or create one in Admin > Settings.");
            }
        }
        if (options.FailedAttemptsPerClient < 1 || options.FailedAttemptWindow <= TimeSpan.Zero)
        {
            failures.Add("Automation:FailedAttemptsPerClient and Automation:FailedAttemptWindow must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Counts wrong bearer tokens per client address; a client over its budget is answered 429 until the window passes.</summary>
internal sealed class AutomationTokenThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures;

    public AutomationTokenThrottle(IOptions<AutomationOptions> options)
    {
        var automation = options.Value;
        Window = automation.FailedAttemptWindow;
        _failures = PartitionedRateLimiter.Create<string, string>(client => RateLimitPartition.GetSlidingWindowLimiter(client, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = automation.FailedAttemptsPerClient,
            Window = automation.FailedAttemptWindow,
            SegmentsPerWindow = 6,
            QueueLimit = 0,
        }));
    }

    public TimeSpan Window { get; }

    public bool IsAllowed(string client)
    {
        using var lease = _failures.AttemptAcquire(client, 0);
        return lease.IsAcquired;
    }

    public void RecordFailure(string client)
    {
        using var lease = _failures.AttemptAcquire(client);
    }

    public void Dispose() => _failures.Dispose();
}

/// <summary>
/// Authenticates automation API calls by <c>Authorization: Bearer &lt;token&gt;</c>: a token from <c>Automation:Tokens</c>
/// or an active token created in Settings (stored hashed). Never by cookie. Wrong tokens are throttled per client.
/// </summary>
internal sealed class AutomationTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AutomationOptions> automation,
    AutomationTokenService tokens,
    AutomationTokenThrottle throttle)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AutomationToken";

    private const string ThrottledItem = "refly.automation.throttled";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }
        var client = SignInHostingExtensions.ClientAddress(Context);
        if (!throttle.IsAllowed(client))
        {
            Context.Items[ThrottledItem] = true;
            return Task.FromResult(AuthenticateResult.Fail("Too many wrong automation tokens from this client"));
        }

        var presentedToken = header["Bearer ".Length..].Trim();
        if (tokens.IsActiveAutomationToken(presentedToken))
        {
            return Task.FromResult(Success("settings token"));
        }
        var presented = Encoding.UTF8.GetBytes(presentedToken);
        foreach (var token in automation.CurrentValue.Tokens)
        {
            if (!string.IsNullOrEmpty(token) &&
                CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(token)))
            {
                return Task.FromResult(Success("configured token"));
            }
        }
        throttle.RecordFailure(client);
        Logger.LogInformation("Automation API: wrong bearer token from {Client}", client);
        return Task.FromResult(AuthenticateResult.Fail("Invalid automation token"));
    }

    private static AuthenticateResult Success(string source)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "automation"), new Claim("token_source", source)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items.ContainsKey(ThrottledItem))
        {
            Response.Headers.RetryAfter = Math.Ceiling(throttle.Window.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            await Results.Problem(
                    statusCode: StatusCodes.Status429TooManyRequests,
                    title: "Too many wrong tokens",
                    detail: $"This client sent too many wrong automation tokens; wait {throttle.Window.TotalSeconds:0} seconds and try again.")
                .ExecuteAsync(Context);
            return;
        }
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Unauthorized",
                detail: "Send a valid automation token as 'Authorization: Bearer <token>'.")
            .ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Results.Problem(
                statusCode: StatusCodes.Status403Forbidden,
                title: "Forbidden",
                detail: "This automation token may not do this.")
            .ExecuteAsync(Context);
}
