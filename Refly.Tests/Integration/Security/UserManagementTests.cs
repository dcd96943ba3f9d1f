using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Refly.Core.Accounts;
using Refly.Tests.Support;

namespace Refly.Tests.Integration.Security;

/// <summary>What an admin does on the Users page (AccountService, real SQLite), and the last-admin rules.</summary>
public sealed class UserManagementTests
{
    [Fact]
    public async Task LastAdmin_CannotBeDemotedDisabledOrRemoved_UntilAnotherAdminExists()
    {
        await using var factory = new ReflyAppFactory();
        var accounts = Accounts(factory);
        var admin = await UserAsync(accounts, ReflyAppFactory.AdminEmail);
        var marketer = await UserAsync(accounts, ReflyAppFactory.MarketerEmail);

        var demote = await accounts.ChangeRoleAsync(admin.Id, Roles.Marketer);
        Assert.False(demote.Succeeded);
        Assert.Contains("last admin", Assert.Single(demote.For(AccountResult.RoleField)), StringComparison.Ordinal);
        Assert.Contains("last admin", Assert.Single((await accounts.SetDisabledAsync(admin.Id, true)).Errors), StringComparison.Ordinal);
        Assert.Contains("last admin", Assert.Single((await accounts.RemoveAsync(admin.Id)).Errors), StringComparison.Ordinal);
        Assert.Equal(Roles.Admin, (await UserAsync(accounts, ReflyAppFactory.AdminEmail)).Role);
        Assert.False((await UserAsync(accounts, ReflyAppFactory.AdminEmail)).IsDisabled);

        // A second admin: now the first may step down; the second is then the last one.
        Assert.True((await accounts.ChangeRoleAsync(marketer.Id, Roles.Admin)).Succeeded);
        Assert.True((await accounts.ChangeRoleAsync(admin.Id, Roles.Marketer)).Succeeded);
        Assert.False((await accounts.ChangeRoleAsync(marketer.Id, Roles.Marketer)).Succeeded);

        // A disabled admin does not count: with the only other admin disabled, this one is the last.
        Assert.True((await accounts.ChangeRoleAsync(admin.Id, Roles.Admin)).Succeeded);
        Assert.True((await accounts.SetDisabledAsync(admin.Id, true)).Succeeded);
        Assert.False((await accounts.SetDisabledAsync(marketer.Id, true)).Succeeded);
        Assert.False((await accounts.RemoveAsync(marketer.Id)).Succeeded);
    }

    [Fact]
    public async Task TwoAdmins_DemotingEachOtherAtOnce_LeaveOneAdmin()
    {
        await using var factory = new ReflyAppFactory();
        var accounts = Accounts(factory);
        var admin = await UserAsync(accounts, ReflyAppFactory.AdminEmail);
        var other = await UserAsync(accounts, ReflyAppFactory.MarketerEmail);
        Assert.True((await accounts.ChangeRoleAsync(other.Id, Roles.Admin)).Succeeded);

        var results = await Task.WhenAll(
            Task.Run(() => accounts.ChangeRoleAsync(admin.Id, Roles.Marketer)),
            Task.Run(() => accounts.ChangeRoleAsync(other.Id, Roles.Marketer)));

        Assert.Single(results, r => r.Succeeded);
        Assert.Single(await accounts.ListUsersAsync(), u => u.Role == Roles.Admin);
    }

    [Fact]
    public async Task DisableEnableResetPasswordAndRemove_ChangeWhoCanSignIn()
    {
        await using var factory = new ReflyAppFactory();
        var accounts = Accounts(factory);
        var email = $"managed-{Guid.NewGuid():N}@refly.test";
        Assert.True((await accounts.CreateUserAsync(new NewUser(email, ReflyAppFactory.Password, Roles.Marketer))).Succeeded);
        var user = await UserAsync(accounts, email);

        Assert.True((await accounts.SetDisabledAsync(user.Id, true)).Succeeded);
        Assert.True((await UserAsync(accounts, email)).IsDisabled);
        Assert.Equal(SignInOutcome.Disabled.Message, await SignInErrorAsync(factory, email, ReflyAppFactory.Password));
        // A wrong password on a disabled account says only "wrong": the state is told to the right password alone.
        Assert.Equal(SignInOutcome.WrongCredentials.Message, await SignInErrorAsync(factory, email, "not-the-password-9"));

        Assert.True((await accounts.SetDisabledAsync(user.Id, false)).Succeeded);
        Assert.Null(await SignInErrorAsync(factory, email, ReflyAppFactory.Password));

        var weak = await accounts.ResetPasswordAsync(user.Id, "password1234");
        Assert.False(weak.Succeeded);
        Assert.NotEmpty(weak.For(AccountResult.PasswordField));
        Assert.True((await accounts.ResetPasswordAsync(user.Id, "set-by-the-admin-42")).Succeeded);
        Assert.Equal(SignInOutcome.WrongCredentials.Message, await SignInErrorAsync(factory, email, ReflyAppFactory.Password));
        Assert.Null(await SignInErrorAsync(factory, email, "set-by-the-admin-42"));

        Assert.True((await accounts.RemoveAsync(user.Id)).Succeeded);
        Assert.DoesNotContain(await accounts.ListUsersAsync(), u => u.Email == email);
        Assert.Equal(SignInOutcome.WrongCredentials.Message, await SignInErrorAsync(factory, email, "set-by-the-admin-42"));
    }

    [Fact]
    public async Task NewUser_BadInput_IsRefusedWithEachReasonOnItsField()
    {
        await using var factory = new ReflyAppFactory();
        var accounts = Accounts(factory);

        var result = await accounts.CreateUserAsync(new NewUser("not-an-address", "short", "Owner"));
        Assert.NotEmpty(result.For(AccountResult.EmailField));
        Assert.NotEmpty(result.For(AccountResult.RoleField));

        var common = await accounts.CreateUserAsync(new NewUser("new-user@refly.test", "password12", Roles.Marketer));
        Assert.Contains(common.For(AccountResult.PasswordField), m => m.Contains("at least 12 characters", StringComparison.Ordinal));
        Assert.Contains(common.For(AccountResult.PasswordField), m => m.Contains("too easy to guess", StringComparison.Ordinal));

        var taken = await accounts.CreateUserAsync(new NewUser(ReflyAppFactory.MarketerEmail, "another-good-pass-12", Roles.Marketer));
        Assert.Single(taken.For(AccountResult.EmailField));
    }

    private static AccountService Accounts(ReflyAppFactory factory)
    {
        _ = factory.ServerAddress;
        return factory.Services.GetRequiredService<AccountService>();
    }

    private static async Task<UserView> UserAsync(AccountService accounts, string email) =>
        (await accounts.ListUsersAsync()).Single(u => u.Email == email);

    /// <summary>Null when the sign-in succeeded, else the form's error line.</summary>
    private static async Task<string?> SignInErrorAsync(ReflyAppFactory factory, string email, string password)
    {
        using var client = factory.CreateCookieClient();
        using var response = await ReflyAppFactory.SignInAsync(client, email, password);
        return response.StatusCode == HttpStatusCode.Redirect ? null : SignInThrottleTests.SignInError(await response.Content.ReadAsStringAsync());
    }
}
