using System.ComponentModel.DataAnnotations;

namespace Refly.Dashboard.Components.Account;

public sealed class SignInInput
{
    [Required(ErrorMessage = "Enter your e-mail address.")]
    [MaxLength(256)]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Enter your password.")]
    [MaxLength(200)]
    public string Password { get; set; } = "";
}

public sealed class SetupInput
{
    [Required(ErrorMessage = "Enter your e-mail address.")]
    [MaxLength(256)]
    public string Email { get; set; } = "";

    [Required(ErrorMessage = "Choose a password.")]
    [MaxLength(200)]
    public string Password { get; set; } = "";

    [Compare(nameof(Password), ErrorMessage = "The passwords do not match.")]
    public string ConfirmPassword { get; set; } = "";
}

/// <summary>Where to go after sign-in: only a path of this site, never another host (no open redirect).</summary>
public static class ReturnUrls
{
    public static string Safe(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal)
            && !returnUrl.StartsWith("/\\", StringComparison.Ordinal) && !returnUrl.Contains(':', StringComparison.Ordinal)
            ? returnUrl
            : "/marketing/campaigns";
}

public sealed class ChangePasswordInput
{
    [Required(ErrorMessage = "Enter your current password.")]
    [MaxLength(200)]
    public string CurrentPassword { get; set; } = "";

    [Required(ErrorMessage = "Choose a new password.")]
    [MaxLength(200)]
    public string NewPassword { get; set; } = "";

    [Compare(nameof(NewPassword), ErrorMessage = "The passwords do not match.")]
    public string ConfirmPassword { get; set; } = "";
}
