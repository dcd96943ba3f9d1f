using System.Net;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>
/// Sign-out, a password change, a role change, disabling and removal end the user's sessions: a copy of the old
/// sign-in cookie opens neither a page nor a Blazor circuit. (An open circuit ending: SecurityBrowserTests.)
/// </summary>
public sealed class SessionTests : IClassFixture<SessionTests.AppFixture>
{
    private readonly ReflyAppFactory _factory;

    public SessionTests(AppFixture app) => _factory = app.Factory;

    [Fact]
    public async Task SignOut_ReplayedCookie_IsRefusedByPagesAndTheBlazorHub()
    {
        var email = await CreateUserAsync(Roles.Marketer);
        using var browser = await _factory.CreateSignedInClientAsync(email);
        var cookie = AuthCookie(browser);
        Assert.True(await OpensAsync(cookie), "the fresh cookie does not open the dashboard");

        var page = await browser.GetStringAsync("/marketing/campaigns");
        using (var signOut = await browser.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string>
               {
                   ["__RequestVerificationToken"] = ReflyAppFactory.AntiforgeryToken(page),
               })))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        Assert.False(await OpensAsync(cookie), "a copy of the cookie still opens pages or the circuit after sign-out");
    }

    [Fact]
    public async Task PasswordChange_EndsOtherSessions_AndKeepsTheOneThatChangedIt()
    {
        var email = await CreateUserAsync(Roles.Marketer);
        using var laptop = await _factory.CreateSignedInClientAsync(email);
        using var phone = await _factory.CreateSignedInClientAsync(email);
        var phoneCookie = AuthCookie(phone);

        var form = await laptop.GetStringAsync("/account/password");
        using (var refused = await PostPasswordAsync(laptop, form, ReflyAppFactory.Password, "password1234"))
        {
            var html = await refused.Content.ReadAsStringAsync();
            Assert.Contains(SetupTests.FieldMessages(html, "password-error"), m => m.Contains("too easy to guess", StringComparison.Ordinal));
        }
        form = await laptop.GetStringAsync("/account/password");
        using (var wrongCurrent = await PostPasswordAsync(laptop, form, "not-my-password-1", "a-much-better-pass-77"))
        {
            Assert.NotEmpty(SetupTests.FieldMessages(await wrongCurrent.Content.ReadAsStringAsync(), "current-password-error"));
        }
        Assert.True(await OpensAsync(phoneCookie), "a refused change ended the other session");

        form = await laptop.GetStringAsync("/account/password");
        using (var changed = await PostPasswordAsync(laptop, form, ReflyAppFactory.Password, "a-much-better-pass-77"))
        {
            Assert.Contains("data-testid=\"password-changed\"", await changed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.False(await OpensAsync(phoneCookie), "the other session survived the password change");
        using (var stillSignedIn = await laptop.GetAsync("/marketing/campaigns"))
        {
            Assert.Equal(HttpStatusCode.OK, stillSignedIn.StatusCode);
        }
        using var fresh = await _factory.CreateSignedInClientAsync(email, "a-much-better-pass-77");
    }

    public static TheoryData<string> AdminChanges => ["role", "disable", "remove", "reset-password"];

    [Theory]
    [MemberData(nameof(AdminChanges))]
    public async Task AdminChange_EndsTheUsersSessions(string change)
    {
        var email = await CreateUserAsync(Roles.Marketer);
        using var browser = await _factory.CreateSignedInClientAsync(email);
        var cookie = AuthCookie(browser);
        Assert.True(await OpensAsync(cookie));

        var accounts = _factory.Services.GetRequiredService<AccountService>();
        var id = (await accounts.ListUsersAsync()).Single(u => u.Email == email).Id;
        var result = change switch
        {
            "role" => await accounts.ChangeRoleAsync(id, Roles.Admin),
            "disable" => await accounts.SetDisabledAsync(id, true),
            "remove" => await accounts.RemoveAsync(id),
            _ => await accounts.ResetPasswordAsync(id, "set-by-the-admin-42"),
        };
        Assert.True(result.Succeeded, string.Join("; ", result.Errors));

        Assert.False(await OpensAsync(cookie), $"the session survived: {change}");
    }

    [Fact]
    public async Task StampChangedByAnotherProcess_EndsTheSession_AfterTheValidationInterval()
    {
        // Another process (a second node, a restore) changes the stamp in the database; this process learns it at
        // its next check, which with a zero interval is the next request.
        await using var factory = new ReflyAppFactory(new Dictionary<string, string?> { ["Accounts:SessionValidationInterval"] = "00:00:00" });
        using var browser = await factory.CreateSignedInClientAsync(ReflyAppFactory.MarketerEmail);
        var cookie = AuthCookie(browser);
        using (var open = await Replay(factory, cookie).GetAsync("/marketing/campaigns"))
        {
            Assert.Equal(HttpStatusCode.OK, open.StatusCode);
        }

        await using (var db = new SqliteConnection($"Data Source={Path.Combine(factory.DataFolder, "refly.db")};Pooling=False"))
        {
            await db.OpenAsync();
            await using var update = db.CreateCommand();
            update.CommandText = "UPDATE AspNetUsers SET SecurityStamp = 'changed-elsewhere' WHERE Email = $email";
            update.Parameters.AddWithValue("$email", ReflyAppFactory.MarketerEmail);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        using var refused = await Replay(factory, cookie).GetAsync("/marketing/campaigns");
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("/account/login", refused.Headers.Location!.ToString(), StringComparison.Ordinal);
    }

    /// <summary>Whether <paramref name="cookie"/>, sent by a client that never signed in, opens a page and the Blazor hub.</summary>
    private async Task<bool> OpensAsync(string cookie)
    {
        using var client = Replay(_factory, cookie);
        using var page = await client.GetAsync("/marketing/campaigns");
        using var negotiate = await client.PostAsync("/_blazor/negotiate?negotiateVersion=1", content: null);
        var pageOpens = page.StatusCode == HttpStatusCode.OK;
        var hubOpens = negotiate.StatusCode == HttpStatusCode.OK;
        Assert.True(pageOpens == hubOpens, $"page {(int)page.StatusCode}, hub {(int)negotiate.StatusCode}");
        if (!pageOpens)
        {
            Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
            Assert.StartsWith("/account/login", page.Headers.Location!.ToString(), StringComparison.Ordinal);
        }
        return pageOpens;
    }

    private static HttpClient Replay(ReflyAppFactory factory, string cookie)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = factory.ServerAddress };
        client.DefaultRequestHeaders.Add("Cookie", cookie);
        return client;
    }

    private static string AuthCookie(HttpClient client)
    {
        var cookie = ReflyAppFactory.CookiesOf(client).GetCookies(client.BaseAddress!)["refly.auth"] ?? throw new InvalidOperationException("not signed in");
        return $"{cookie.Name}={cookie.Value}";
    }

    private async Task<string> CreateUserAsync(string role)
    {
        var email = $"session-{Guid.NewGuid():N}@refly.test";
        var created = await _factory.Services.GetRequiredService<AccountService>().CreateUserAsync(new NewUser(email, ReflyAppFactory.Password, role));
        Assert.True(created.Succeeded, string.Join("; ", created.Errors));
        return email;
    }

    private static Task<HttpResponseMessage> PostPasswordAsync(HttpClient client, string form, string current, string next) =>
        client.PostAsync("/account/password", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "change-password",
            ["__RequestVerificationToken"] = ReflyAppFactory.AntiforgeryToken(form),
            ["Input.CurrentPassword"] = current,
            ["Input.NewPassword"] = next,
            ["Input.ConfirmPassword"] = next,
        }));

    public sealed class AppFixture : IAsyncLifetime
    {
        public ReflyAppFactory Factory { get; } = new(new Dictionary<string, string?> { ["Sandbox:LargeListSize"] = "200" });

        public Task InitializeAsync()
        {
            _ = Factory.ServerAddress;
            return Task.CompletedTask;
        }

        public async Task DisposeAsync() => await Factory.DisposeAsync();
    }
}
