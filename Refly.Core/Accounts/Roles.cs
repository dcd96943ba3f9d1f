namespace Refly.Core.Accounts;

/// <summary>The two roles: admins manage settings and users; marketers work with campaigns.</summary>
public static class Roles
{
    public const string Admin = "Admin";

    public const string Marketer = "Marketer";

    /// <summary>Both roles, comma-separated as <c>[Authorize(Roles = ...)]</c> expects.</summary>
    public const string AdminOrMarketer = Admin + "," + Marketer;

    public static IReadOnlyList<string> All { get; } = [Admin, Marketer];
}
