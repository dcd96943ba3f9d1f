using Bunit;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using Refly.Core.Accounts;
using Refly.Dashboard.Components.Pages.Admin;
using Refly.Tests.Integration.Automation;
using Refly.Tests.Support;

namespace Refly.Tests.Components;

/// <summary>The Users page with the running app's AccountService: each action's refusal shows in its own row.</summary>
public sealed class UsersPageTests : MudTestContext, IClassFixture<DemoAppFixture>
{
    private static readonly TimeSpan _timeout = TimeSpan.FromSeconds(10);

    public UsersPageTests(DemoAppFixture app)
    {
        Services.AddSingleton(app.Factory.Services.GetRequiredService<AccountService>());
    }

    [Fact]
    public void DisableTheLastAdmin_IsRefusedInItsRow_WhileAMarketerIsDisabledAndEnabled()
    {
        Render<MudPopoverProvider>();
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tr[data-testid='user-row']").Count), _timeout);

        Button(page, ReflyAppFactory.AdminEmail, "Disable").Click();
        page.WaitForAssertion(() => Assert.Contains("last admin", Row(page, ReflyAppFactory.AdminEmail).QuerySelector("[data-testid='user-error']")!.TextContent,
            StringComparison.Ordinal), _timeout);
        Assert.Equal("Active", State(page, ReflyAppFactory.AdminEmail));
        Assert.Null(Row(page, ReflyAppFactory.MarketerEmail).QuerySelector("[data-testid='user-error']"));

        Button(page, ReflyAppFactory.MarketerEmail, "Disable").Click();
        page.WaitForAssertion(() => Assert.Equal("Disabled", State(page, ReflyAppFactory.MarketerEmail)), _timeout);
        Button(page, ReflyAppFactory.MarketerEmail, "Enable").Click();
        page.WaitForAssertion(() => Assert.Equal("Active", State(page, ReflyAppFactory.MarketerEmail)), _timeout);
    }

    [Fact]
    public void ResetPassword_CommonPassword_IsRefusedBesideTheField()
    {
        Render<MudPopoverProvider>();
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tr[data-testid='user-row']").Count), _timeout);

        Button(page, ReflyAppFactory.MarketerEmail, "Reset password").Click();
        page.Find("input[data-testid='reset-password'], [data-testid='reset-password'] input").Input("password1234");
        Button(page, ReflyAppFactory.MarketerEmail, "Set password").Click();
        page.WaitForAssertion(() => Assert.Contains("too easy to guess",
            Row(page, ReflyAppFactory.MarketerEmail).QuerySelector(".mud-input-control-helper-container")!.TextContent, StringComparison.Ordinal), _timeout);
    }

    [Fact]
    public void AddUser_BadAddressAndShortPassword_EachErrorUnderItsOwnField()
    {
        Render<MudPopoverProvider>();
        var page = Render<UsersPage>();
        page.WaitForAssertion(() => Assert.Equal(2, page.FindAll("tr[data-testid='user-row']").Count), _timeout);

        page.Find("[data-testid='new-user-email-field'] input").Input("not-an-address");
        page.Find("[data-testid='new-user-password-field'] input").Input("short");
        page.Find("[data-testid='add-user']").Click();

        string Helper(string field) => page.Find($"[data-testid='{field}'] .mud-input-control-helper-container").TextContent;
        page.WaitForAssertion(() => Assert.Contains("12", Helper("new-user-password-field"), StringComparison.Ordinal), _timeout);
        Assert.Contains("e-mail", Helper("new-user-email-field"), StringComparison.Ordinal);
        Assert.DoesNotContain("12", Helper("new-user-email-field"), StringComparison.Ordinal);
    }

    private static AngleSharp.Dom.IElement Row(IRenderedComponent<UsersPage> page, string email) =>
        page.FindAll("tr[data-testid='user-row']").Single(r => r.GetAttribute("data-email") == email);

    private static string State(IRenderedComponent<UsersPage> page, string email) =>
        Row(page, email).QuerySelector("[data-testid='user-state']")!.TextContent.Trim();

    private static AngleSharp.Dom.IElement Button(IRenderedComponent<UsersPage> page, string email, string text) =>
        Row(page, email).QuerySelectorAll("button").Single(b => b.TextContent.Trim() == text);
}
