using System.Net;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>First start: nothing but /setup until the first admin exists; setup happens once.</summary>
public sealed class SetupTests
{
    [Fact]
    public async Task FirstStart_EverythingRedirectsToSetup_ThenSetupCreatesTheAdminOnce()
    {
        await using var factory = new ReflyAppFactory(createUsers: false);
        using var client = factory.CreateCookieClient();
        foreach (var path in new[] { "/", "/marketing/campaigns", "/settings", "/account/login" })
        {
            using var redirected = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
            Assert.EndsWith("/setup", redirected.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        using (var api = await client.GetAsync("/api/v1/campaigns"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        // A weak password is refused with Identity's reason, and nothing is created.
        using (var weak = await PostSetupAsync(client, "first@refly.test", "short"))
        {
            Assert.Equal(HttpStatusCode.OK, weak.StatusCode);
            Assert.Contains("at least 10 characters", await weak.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var created = await PostSetupAsync(client, "first@refly.test", "first-password-1"))
        {
            Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
            Assert.EndsWith("/marketing/campaigns", created.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        using (var settings = await client.GetAsync("/settings"))
        {
            Assert.Equal(HttpStatusCode.OK, settings.StatusCode);
        }

        // A second visitor cannot create another admin.
        using var other = factory.CreateCookieClient();
        using (var setupAgain = await other.GetAsync("/setup"))
        {
            Assert.Equal(HttpStatusCode.Redirect, setupAgain.StatusCode);
            Assert.Contains("/account/login", setupAgain.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        using var signIn = await ReflyAppFactory.SignInAsync(other, "first@refly.test", "first-password-1");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
    }

    private static async Task<HttpResponseMessage> PostSetupAsync(HttpClient client, string email, string password)
    {
        var form = await client.GetStringAsync("/setup");
        return await client.PostAsync("/setup", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "setup",
            ["__RequestVerificationToken"] = ReflyAppFactory.AntiforgeryToken(form),
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.ConfirmPassword"] = password,
        }));
    }
}
