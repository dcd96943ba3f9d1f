using MudBlazor;

namespace Refly.Dashboard.Components.Layout;

/// <summary>Refly's MudBlazor theme, light and dark; the app layout and the account pages use the same one.</summary>
public static class ReflyTheme
{
    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#5b3cc4",
            Secondary = "#00a389",
            AppbarBackground = "#241a4d",
        },
        PaletteDark = new PaletteDark
        {
            // Lighter accents than the light palette's: #5b3cc4 on a dark surface falls below a readable contrast.
            Primary = "#a48cff",
            Secondary = "#3ccfb4",
            AppbarBackground = "#1b1733",
            Background = "#15131f",
            Surface = "#1f1c2c",
            DrawerBackground = "#1b1826",
        },
    };
}

/// <summary>
/// The remembered colour scheme: "dark" or "light" once the marketer chose one with the app bar's toggle (kept in the
/// browser's local storage), else none, and the system preference applies.
/// </summary>
public static class ColorSchemePreference
{
    public const string Dark = "dark";
    public const string Light = "light";

    /// <summary>The cookie the static account pages read the remembered choice from (refly.js writes it with local storage).</summary>
    public const string CookieName = "refly-color-scheme";

    /// <summary>Dark or not: the remembered choice wins over the system preference.</summary>
    public static bool IsDark(string? remembered, bool systemPrefersDark) => remembered switch
    {
        Dark => true,
        Light => false,
        _ => systemPrefersDark,
    };
}
