using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Refly.Core.Accounts;
using Refly.Dashboard.Automation;

namespace Refly.Dashboard.Accounts;

internal static class SignInHostingExtensions
{
    /// <summary>Picks cookie or bearer per request; the default for authenticate, challenge and forbid.</summary>
    public const string RequestScheme = "Refly";

    /// <summary>The form posts that check a password: each client address gets a budget of them.</summary>
    public static readonly string[] PasswordForms = ["/account/login", "/setup", "/account/password"];

    /// <summary>
    /// Cookie sign-in (ASP.NET Core Identity) for pages and the Blazor hub, bearer tokens (never cookies) for the
    /// automation API and its OpenAPI document: the default scheme forwards by path, so an API request is
    /// authenticated, challenged (401) and forbidden (403) as an API whether or not an endpoint matched. The fallback
    /// policy makes every endpoint without its own rule require a signed-in user, so a new page or endpoint is closed
    /// unless it says [AllowAnonymous]. Sessions end when the user's security stamp changes.
    /// </summary>
    public static void AddReflySignIn(this IServiceCollection services)
    {
        services.AddAuthentication(options =>
            {
                options.DefaultScheme = RequestScheme;
                options.DefaultChallengeScheme = RequestScheme;
                options.DefaultForbidScheme = RequestScheme;
            })
            .AddPolicyScheme(RequestScheme, "Cookie for pages, bearer token for the API", scheme => scheme.ForwardDefaultSelector = context =>
                AutomationApi.IsApiRequest(context.Request) ? AutomationTokenHandler.SchemeName : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, AutomationTokenHandler>(AutomationTokenHandler.SchemeName, _ => { })
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "refly.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            cookie.AccessDeniedPath = "/account/access-denied";
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
            // Relative Location headers: the request's Host is never echoed into a redirect.
            cookie.Events.OnRedirectToLogin = context => RedirectWithinSiteAsync(context, StatusCodes.Status401Unauthorized);
            cookie.Events.OnRedirectToAccessDenied = context => RedirectWithinSiteAsync(context, StatusCodes.Status403Forbidden);
        });
        services.AddOptions<SessionOptions>().BindConfiguration(SessionOptions.SectionName)
            .Validate(o => o.SessionValidationInterval >= TimeSpan.Zero && o.SessionValidationInterval <= TimeSpan.FromMinutes(30),
                "Accounts:SessionValidationInterval must be between 00:00:00 and 00:30:00.")
            .ValidateOnStart();
        services.AddOptions<SecurityStampValidatorOptions>().Configure<IOptions<SessionOptions>>((stamp, session) =>
            stamp.ValidationInterval = session.Value.SessionValidationInterval);
        services.Replace(ServiceDescriptor.Scoped<ISecurityStampValidator, RevocationAwareSecurityStampValidator>());
        services.AddScoped<AuthenticationStateProvider, IdentityRevalidatingAuthenticationStateProvider>();
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPolicy(AutomationApi.Policy, policy => policy
                .AddAuthenticationSchemes(AutomationTokenHandler.SchemeName)
                .RequireAuthenticatedUser());
        AddPasswordFormRateLimit(services);
    }

    /// <summary>
    /// ASP.NET Core's rate limiter on the password forms, per client address (after forwarded headers, the client
    /// behind the proxy): one client cannot hammer sign-in. Failed sign-ins per e-mail address are held back by
    /// <see cref="SignInThrottle"/>.
    /// </summary>
    private static void AddPasswordFormRateLimit(IServiceCollection services)
    {
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<SignInThrottleOptions>>((limiter, throttle) =>
        {
            var options = throttle.Value;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                IsPasswordForm(context.Request)
                    ? RateLimitPartition.GetSlidingWindowLimiter(ClientAddress(context), _ => new SlidingWindowRateLimiterOptions
                    {
                        PermitLimit = options.AttemptsPerClient,
                        Window = options.ClientWindow,
                        SegmentsPerWindow = 6,
                        QueueLimit = 0,
                    })
                    : RateLimitPartition.GetNoLimiter(""));
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var response = rejected.HttpContext.Response;
                var retryAfter = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.ClientWindow;
                response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
                response.ContentType = "text/html; charset=utf-8";
                rejected.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SignInHostingExtensions))
                    .LogWarning("Password form refused: too many attempts from {Client}", ClientAddress(rejected.HttpContext));
                await response.WriteAsync(
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Too many attempts · Refly</title></head><body>" +
                    "<h1>Too many attempts</h1><p role=\"alert\">Too many sign-in attempts from your address. Wait a minute and try again.</p>" +
                    "<p><a href=\"/account/login\">Back to sign-in</a></p></body></html>", cancellationToken);
            };
        });
    }

    /// <summary>The client's address as the throttles key it (after forwarded headers are applied).</summary>
    public static string ClientAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    private static bool IsPasswordForm(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && PasswordForms.Any(path => request.Path.Equals(path, StringComparison.OrdinalIgnoreCase));

    /// <summary>As the cookie handler's default (scripts get the status, browsers the redirect), with a relative Location.</summary>
    private static Task RedirectWithinSiteAsync(RedirectContext<CookieAuthenticationOptions> context, int scriptStatus)
    {
        var target = Uri.TryCreate(context.RedirectUri, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery : context.RedirectUri;
        if (string.Equals(context.Request.Headers.XRequestedWith, "XMLHttpRequest", StringComparison.Ordinal))
        {
            context.Response.StatusCode = scriptStatus;
            context.Response.Headers.Location = target;
            return Task.CompletedTask;
        }
        context.Response.Redirect(target);
        return Task.CompletedTask;
    }
}
