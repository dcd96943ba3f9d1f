using Refly.Core.Accounts;

namespace Refly.Tests.Unit.Accounts;

public sealed class PasswordRulesTests
{
    [Fact]
    public void CommonList_IsShippedWithTheApp()
    {
        Assert.InRange(PasswordRules.CommonPasswordCount, 3_000, 10_000);
    }

    [Theory]
    [InlineData("password12")]
    [InlineData("Password1234")]
    [InlineData("password")]
    [InlineData("qwerty123456")]
    [InlineData("Dragon2024!!")]
    [InlineData("!!letmein2025")]
    [InlineData("monkeymonkey")]
    [InlineData("abababababab")]
    [InlineData("123456789012")]
    [InlineData("2024-01-01 !!")]
    public void IsCommon_ListedOrPaddedOrRepeated_IsTrue(string password)
    {
        Assert.True(PasswordRules.IsCommon(password), password);
    }

    [Theory]
    [InlineData("test-password-0123")]
    [InlineData("correct horse battery staple")]
    [InlineData("Tr0ub4dor&3-kettle")]
    [InlineData("refly-owner-7731")]
    public void IsCommon_UnlistedPassphrase_IsFalse(string password)
    {
        Assert.False(PasswordRules.IsCommon(password), password);
    }
}
