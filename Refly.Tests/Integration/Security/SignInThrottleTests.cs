using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>
/// Sign-in cannot be turned against its users: guessing from one client is held back while the owner signs in from
/// another, an unknown e-mail address gets exactly the answer a known one gets, and an admin can unlock.
/// Each test owns its app: the throttles are per app and must start empty.
/// </summary>
public sealed class SignInThrottleTests
{
    private static readonly IPAddress _attacker = IPAddress.Parse("127.0.0.2");
    private static readonly IPAddress _owner = IPAddress.Parse("127.0.0.3");

    [Fact]
    public async Task WrongPasswords_FromOneClient_AreThrottled_WhileTheAdminSignsInFromAnother()
    {
        await using var factory = new ReflyAppFactory();
        using var attacker = factory.CreateCookieClient(_attacker);

        // Five wrong passwords: "wrong" each time; then that client is held back for the address, right password included.
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await ReflyAppFactory.SignInAsync(attacker, ReflyAppFactory.AdminEmail, $"not-the-password-{i}");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Equal(SignInOutcome.WrongCredentials.Message, SignInError(await wrong.Content.ReadAsStringAsync()));
        }
        using (var held = await ReflyAppFactory.SignInAsync(attacker, ReflyAppFactory.AdminEmail, ReflyAppFactory.Password))
        {
            Assert.Equal(HttpStatusCode.OK, held.StatusCode);
            Assert.Equal(SignInOutcome.Throttled.Message, SignInError(await held.Content.ReadAsStringAsync()));
        }

        // Hammering on: the client's own budget of sign-in posts runs out and it gets 429 with Retry-After.
        var tooMany = false;
        for (var i = 0; i < 30 && !tooMany; i++)
        {
            using var response = await ReflyAppFactory.SignInAsync(attacker, ReflyAppFactory.AdminEmail, "guess-" + i);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                tooMany = true;
                Assert.NotNull(response.Headers.RetryAfter);
                Assert.Contains("Too many sign-in attempts", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
        Assert.True(tooMany, "one client sent 36 sign-in posts within a minute and was never answered 429");
        Assert.Contains(await factory.Services.GetRequiredService<AccountService>().ListUsersAsync(),
            u => u.Email == ReflyAppFactory.AdminEmail && u.IsSignInPaused);

        // The owner, from another address, signs in at once.
        using var owner = factory.CreateCookieClient(_owner);
        using var signedIn = await ReflyAppFactory.SignInAsync(owner, ReflyAppFactory.AdminEmail, ReflyAppFactory.Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.EndsWith("/marketing/campaigns", signedIn.Headers.Location!.ToString(), StringComparison.Ordinal);
        using var page = await owner.GetAsync("/settings");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
    }

    [Fact]
    public async Task UnknownAndKnownEmail_GetTheSameAnswer_AlsoWhenThrottled()
    {
        await using var factory = new ReflyAppFactory();
        using var client = factory.CreateCookieClient(_attacker);
        const string unknown = "nobody-here@refly.test";

        for (var i = 0; i < 6; i++)
        {
            using var known = await ReflyAppFactory.SignInAsync(client, ReflyAppFactory.MarketerEmail, "wrong-password-" + i);
            using var missing = await ReflyAppFactory.SignInAsync(client, unknown, "wrong-password-" + i);
            Assert.Equal(known.StatusCode, missing.StatusCode);
            var knownHtml = Comparable(await known.Content.ReadAsStringAsync(), ReflyAppFactory.MarketerEmail);
            var missingHtml = Comparable(await missing.Content.ReadAsStringAsync(), unknown);
            Assert.Equal(knownHtml, missingHtml);
            Assert.Equal(i < 5 ? SignInOutcome.WrongCredentials.Message : SignInOutcome.Throttled.Message, SignInError(knownHtml));
        }
    }

    [Fact]
    public async Task AdminUnlock_LetsTheThrottledClientSignInAgain()
    {
        await using var factory = new ReflyAppFactory();
        using var client = factory.CreateCookieClient(_attacker);
        for (var i = 0; i < 5; i++)
        {
            using var wrong = await ReflyAppFactory.SignInAsync(client, ReflyAppFactory.MarketerEmail, "wrong-password-" + i);
        }
        using (var held = await ReflyAppFactory.SignInAsync(client, ReflyAppFactory.MarketerEmail, ReflyAppFactory.Password))
        {
            Assert.Equal(SignInOutcome.Throttled.Message, SignInError(await held.Content.ReadAsStringAsync()));
        }

        var accounts = factory.Services.GetRequiredService<AccountService>();
        var marketer = (await accounts.ListUsersAsync()).Single(u => u.Email == ReflyAppFactory.MarketerEmail);
        Assert.True(marketer.IsSignInPaused);
        Assert.True((await accounts.UnlockAsync(marketer.Id)).Succeeded);
        Assert.False((await accounts.ListUsersAsync()).Single(u => u.Id == marketer.Id).IsSignInPaused);

        using var signedIn = await ReflyAppFactory.SignInAsync(client, ReflyAppFactory.MarketerEmail, ReflyAppFactory.Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    [Fact]
    public async Task UnknownEmail_VerifiesAPasswordHash_AsAKnownOneDoes()
    {
        // Same work on both paths is what keeps the answer's timing from telling which addresses have an account.
        var hasher = new CountingPasswordHasher();
        await using var factory = new ReflyAppFactory(configureServices: services => services.AddSingleton<IPasswordHasher<IdentityUser>>(hasher));
        using var client = factory.CreateCookieClient();

        var before = hasher.Verifications;
        using (var known = await ReflyAppFactory.SignInAsync(client, ReflyAppFactory.MarketerEmail, "wrong-password-1"))
        {
            Assert.Equal(SignInOutcome.WrongCredentials.Message, SignInError(await known.Content.ReadAsStringAsync()));
        }
        Assert.Equal(before + 1, hasher.Verifications);
        using (var unknown = await ReflyAppFactory.SignInAsync(client, "nobody-here@refly.test", "wrong-password-1"))
        {
            Assert.Equal(SignInOutcome.WrongCredentials.Message, SignInError(await unknown.Content.ReadAsStringAsync()));
        }
        Assert.Equal(before + 2, hasher.Verifications);
    }

    private sealed class CountingPasswordHasher : PasswordHasher<IdentityUser>
    {
        private int _verifications;

        public int Verifications => Volatile.Read(ref _verifications);

        public override PasswordVerificationResult VerifyHashedPassword(IdentityUser user, string hashedPassword, string providedPassword)
        {
            Interlocked.Increment(ref _verifications);
            return base.VerifyHashedPassword(user, hashedPassword, providedPassword);
        }
    }

    /// <summary>The sign-in form's error line.</summary>
    internal static string? SignInError(string html)
    {
        var match = Regex.Match(html, "data-testid=\"sign-in-error\"[^>]*>([^<]*)<");
        return match.Success ? WebUtility.HtmlDecode(match.Groups[1].Value) : null;
    }

    /// <summary>
    /// The page without what differs on every answer by nature (the antiforgery token, the CSP nonce, Blazor's encrypted
    /// component state) and the e-mail typed back into the form.
    /// </summary>
    private static string Comparable(string html, string email)
    {
        html = Regex.Replace(html, "name=\"__RequestVerificationToken\" value=\"[^\"]+\"", "token");
        html = Regex.Replace(html, "nonce=\"[^\"]+\"", "nonce");
        html = Regex.Replace(html, "<!--Blazor-Server-Component-State:[^-]+-->", "state");
        return html.Replace(email, "EMAIL", StringComparison.Ordinal);
    }
}
