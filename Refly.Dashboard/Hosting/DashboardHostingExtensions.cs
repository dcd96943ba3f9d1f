using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Refly.Core.Accounts;
using Refly.Core.Settings;
using Refly.Dashboard.Accounts;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using MudBlazor.Services;
using Refly.Core;
using Refly.Core.Klaviyo;
using Refly.Core.Persistence;
using Refly.Dashboard.Automation;
using Refly.Dashboard.Components;
using Refly.Dashboard.Sandbox;

namespace Refly.Dashboard.Hosting;

internal static class DashboardHostingExtensions
{
    /// <summary>
    /// The single configuration file is the top-level appsettings.json, shipped beside the app. It goes right after
    /// the host's own appsettings sources, so environment variables, the command line and test settings still win.
    /// The listen address is not in it (see <see cref="ListenAddress"/>).
    /// </summary>
    public static void AddReflyConfiguration(this WebApplicationBuilder builder)
    {
        var sources = builder.Configuration.Sources;
        var position = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is JsonConfigurationSource { Path: { } path } && path.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase))
            {
                position = i + 1;
            }
        }
        var appSettings = new JsonConfigurationSource
        {
            Path = "appsettings.json",
            Optional = true,
            ReloadOnChange = false,
            FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
        };
        sources.Insert(position, appSettings);
        ListenAddress.UseDefaultUnlessConfigured(builder);
    }

    public static void AddReflyDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddReflyOperations();
        // Registered before Core so the sandbox is up before the scheduler's first sync.
        services.AddSingleton(provider => DemoModeInfo.From(provider.GetRequiredService<IConfiguration>()));
        services.AddKlaviyoSandbox(isEnabled: provider => provider.GetRequiredService<DemoModeInfo>().IsDemo);
        services.AddSingleton<OptionsKlaviyoConnection>();
        services.AddSingleton<DemoAwareKlaviyoConnection>();
        services.AddSingleton<IKlaviyoConnection>(provider => provider.GetRequiredService<DemoAwareKlaviyoConnection>());
        services.AddReflyCore(builder.Configuration);
        services.AddAccounts(builder.Configuration);
        services.AddSettings(builder.Configuration);
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        services.AddScoped<BrowserTimeZone>();
        services.AddProblemDetails();
        services.AddOpenApi();

        services.AddOptions<AutomationOptions>().BindConfiguration(AutomationOptions.SectionName);
        AddSignIn(services);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = RequestLimits.MaxRequestBodyBytes);
    }

    /// <summary>
    /// Cookie sign-in (ASP.NET Core Identity) for pages and the Blazor hub, bearer tokens (never cookies) for the
    /// automation API. The fallback policy makes every endpoint without its own rule require a signed-in user, so a
    /// new page or endpoint is closed unless it says [AllowAnonymous].
    /// </summary>
    private static void AddSignIn(IServiceCollection services)
    {
        services.AddAuthentication(IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, AutomationTokenHandler>(AutomationTokenHandler.SchemeName, _ => { })
            .AddIdentityCookies();
        services.ConfigureApplicationCookie(cookie =>
        {
            cookie.Cookie.Name = "refly.auth";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.LoginPath = "/account/login";
            cookie.LogoutPath = "/account/logout";
            cookie.AccessDeniedPath = "/account/access-denied";
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
            cookie.SlidingExpiration = true;
        });
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(IdentityConstants.ApplicationScheme).RequireAuthenticatedUser().Build())
            .AddPolicy(AutomationApi.Policy, policy => policy
                .AddAuthenticationSchemes(AutomationTokenHandler.SchemeName)
                .RequireAuthenticatedUser());
    }

    public static async Task<WebApplication> UseReflyDashboardAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<AccountsMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<SettingsService>().LoadAsync(app.Lifetime.ApplicationStopping);

        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }
        app.UseReflyOperations();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseMiddleware<SetupRedirectMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<ApiRequestLimitsMiddleware>();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapOpenApi();
        app.MapReflyOperations();
        app.MapAutomationApi();
        app.MapAccountEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
