using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
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
        foreach (var api in new[] { "/api/v1/campaigns", "/openapi/v1.json" })
        {
            using var response = await client.GetAsync(api);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        // Weak passwords are refused with the reason beside the password field, and nothing is created.
        foreach (var (weak, reason) in new[]
                 {
                     ("short", "at least 12 characters"),
                     ("password12", "too easy to guess"),
                     ("password1234", "too easy to guess"),
                     ("Dragon2024!!", "too easy to guess"),
                     ("monkeymonkey", "too easy to guess"),
                 })
        {
            using var refused = await PostSetupAsync(client, "first@refly.test", weak);
            Assert.Equal(HttpStatusCode.OK, refused.StatusCode);
            var messages = FieldMessages(await refused.Content.ReadAsStringAsync(), "password-error");
            Assert.True(messages.Any(m => m.Contains(reason, StringComparison.Ordinal)), $"{weak}: [{string.Join(" | ", messages)}]");
        }
        Assert.False(await factory.Services.GetRequiredService<AccountService>().IsSetUpAsync());

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

    /// <summary>The validation messages rendered beside the field marked <paramref name="testId"/>.</summary>
    internal static IReadOnlyList<string> FieldMessages(string html, string testId) =>
        System.Text.RegularExpressions.Regex.Matches(html, $"data-testid=\"{testId}\"[^>]*>([^<]*)<")
            .Select(m => WebUtility.HtmlDecode(m.Groups[1].Value)).ToList();

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
