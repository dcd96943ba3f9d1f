using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Refly.Dashboard.Automation;

/// <summary>Options of the "Automation" section: bearer tokens accepted by the automation API.</summary>
public sealed class AutomationOptions
{
    public const string SectionName = "Automation";

    /// <summary>Accepted tokens; none means the automation API answers 401 to every call.</summary>
    public List<string> Tokens { get; set; } = [];
}

/// <summary>Authenticates automation API calls by <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
internal sealed class AutomationTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<AutomationOptions> automation)
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

        var presented = Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim());
        foreach (var token in automation.CurrentValue.Tokens)
        {
            if (!string.IsNullOrEmpty(token) &&
                CryptographicOperations.FixedTimeEquals(presented, Encoding.UTF8.GetBytes(token)))
            {
                var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "automation")], SchemeName);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
            }
        }
        return Task.FromResult(AuthenticateResult.Fail("Invalid automation token"));
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
