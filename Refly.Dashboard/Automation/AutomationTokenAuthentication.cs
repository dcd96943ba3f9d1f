using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Refly.Core.Settings;

namespace Refly.Dashboard.Automation;

/// <summary>Options of the "Automation" section: bearer tokens accepted by the automation API.</summary>
public sealed class AutomationOptions
{
    public const string SectionName = "Automation";

    /// <summary>Accepted tokens; none means the automation API answers 401 to every call.</summary>
    public List<string> Tokens { get; set; } = [];
}

/// <summary>
/// Authenticates automation API calls by <c>Authorization: Bearer &lt;token&gt;</c>: a token from <c>Automation:Tokens</c>
/// or an active token created in Settings (stored hashed). Never by cookie.
/// </summary>
internal sealed class AutomationTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AutomationOptions> automation,
    SettingsService settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AutomationToken";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var presentedToken = header["Bearer ".Length..].Trim();
        if (settings.IsActiveAutomationToken(presentedToken))
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
        return Task.FromResult(AuthenticateResult.Fail("Invalid automation token"));
    }

    private static AuthenticateResult Success(string source)
    {
        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "automation"), new Claim("token_source", source)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(
                statusCode: StatusCodes.Status401Unauthorized,
                title: "Unauthorized",
                detail: "Send a valid automation token as 'Authorization: Bearer <token>'.")
            .ExecuteAsync(Context);
    }
}
