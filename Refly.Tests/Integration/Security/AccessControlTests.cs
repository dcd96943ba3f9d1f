using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.Tests.Integration.Automation;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>Sign-in for every page, the Blazor hub and the API; roles. Throttling: SignInThrottleTests.</summary>
public sealed class AccessControlTests : IClassFixture<DemoAppFixture>
{
    /// <summary>The only endpoints that may answer without sign-in (the sign-in and setup forms, error pages, static assets).</summary>
    private static readonly string[] _anonymousAllowed =
        ["/account/login", "/account/access-denied", "/account/logout", "/setup", "/not-found", "/Error", "/health"];

    private readonly DemoAppFixture _app;

    public AccessControlTests(DemoAppFixture app) => _app = app;

    [Fact]
    public async Task EveryEndpoint_Anonymous_IsRefusedOrRedirectedToSignIn()
    {
        var endpoints = _app.Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().ToList();
        Assert.Contains(endpoints, e => e.RoutePattern.RawText == "/marketing/campaigns");
        Assert.Contains(endpoints, e => e.RoutePattern.RawText?.StartsWith("/_blazor", StringComparison.Ordinal) == true);

        using var anonymous = _app.Factory.CreateCookieClient();
        var checkedCount = 0;
        foreach (var endpoint in endpoints)
        {
            var raw = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            if (IsStaticAsset(endpoint))
            {
                continue;
            }
            if (endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null)
            {
                Assert.True(_anonymousAllowed.Contains(raw, StringComparer.OrdinalIgnoreCase), $"{raw} allows anonymous access but is not a sign-in, setup or error page");
                continue;
            }
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in methods.Where(m => m != "OPTIONS"))
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), SampleUrl(endpoint.RoutePattern));
                if (method is "POST" or "PUT" or "PATCH")
                {
                    request.Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json");
                }
                using var response = await anonymous.SendAsync(request);
                var refused = response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden
                              || (response.StatusCode == HttpStatusCode.Redirect && response.Headers.Location!.ToString().Contains("/account/login", StringComparison.Ordinal));
                Assert.True(refused, $"{method} {raw} answered {(int)response.StatusCode} {response.Headers.Location} to an anonymous request");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 8, $"only {checkedCount} endpoints checked");
    }

    [Theory]
    [InlineData("/settings")]
    [InlineData("/users")]
    public async Task AdminPages_Marketer_AreDenied(string path)
    {
        using var marketer = await _app.Factory.CreateSignedInClientAsync(ReflyAppFactory.MarketerEmail);
        using var response = await marketer.GetAsync(path);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/account/access-denied", response.Headers.Location!.ToString(), StringComparison.Ordinal);

        using var campaigns = await marketer.GetAsync("/marketing/campaigns");
        Assert.Equal(HttpStatusCode.OK, campaigns.StatusCode);
    }

    [Fact]
    public async Task AdminPages_Admin_Open()
    {
        using var admin = await _app.Factory.CreateSignedInClientAsync();
        foreach (var path in new[] { "/settings", "/users", "/marketing/campaigns" })
        {
            using var response = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task SignIn_WithoutAntiforgeryToken_IsRejected()
    {
        using var client = _app.Factory.CreateCookieClient();
        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["Input.Email"] = ReflyAppFactory.AdminEmail,
            ["Input.Password"] = ReflyAppFactory.Password,
        }));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("refly.auth", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SignIn_Cookie_IsHttpOnlyAndSameSite()
    {
        using var client = _app.Factory.CreateCookieClient();
        using var response = await ReflyAppFactory.SignInAsync(client, ReflyAppFactory.AdminEmail, ReflyAppFactory.Password);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(v => v.StartsWith("refly.auth=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_ReturnUrlToAnotherSite_StaysOnThisSite()
    {
        using var client = _app.Factory.CreateCookieClient();
        var form = await client.GetStringAsync("/account/login?returnUrl=%2F%2Fevil.example%2F");
        using var response = await client.PostAsync("/account/login?returnUrl=%2F%2Fevil.example%2F", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "sign-in",
            ["__RequestVerificationToken"] = ReflyAppFactory.AntiforgeryToken(form),
            ["Input.Email"] = ReflyAppFactory.AdminEmail,
            ["Input.Password"] = ReflyAppFactory.Password,
        }));
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.DoesNotContain("evil.example", response.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    private static bool IsStaticAsset(Endpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().Name.Contains("StaticAsset", StringComparison.Ordinal))
        || Regex.IsMatch(endpoint.DisplayName ?? "", @"\.(css|js|map|ico|png|svg|woff2?|json|gz|br)\b", RegexOptions.IgnoreCase) && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is not null;

    private static string SampleUrl(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter when parameter.ParameterPolicies.Any(p => p.Content == "guid") => Guid.NewGuid().ToString(),
            RoutePatternParameterPart parameter when parameter.ParameterPolicies.Any(p => p.Content == "int") => "1",
            RoutePatternParameterPart => "sample",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        })));
        return "/" + string.Join('/', segments);
    }
}
