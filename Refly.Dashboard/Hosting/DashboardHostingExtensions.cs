using Microsoft.Extensions.Options;
using Refly.Core.Accounts;
using Refly.Core.Automation;
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
using Refly.KlaviyoSandbox;
using Refly.ModelSandbox;
using Refly.Core.Personalization;

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
        builder.AddReflySecurity();
        // Registered before Core so the sandbox is up before the scheduler's first sync.
        services.AddSingleton(provider => DemoModeInfo.From(provider.GetRequiredService<IConfiguration>()));
        services.AddKlaviyoSandbox(isEnabled: provider => provider.GetRequiredService<DemoModeInfo>().IsDemo);
        services.AddSingleton<OptionsKlaviyoConnection>();
        services.AddSingleton<DemoAwareKlaviyoConnection>();
        services.AddSingleton<IKlaviyoConnection>(provider => provider.GetRequiredService<DemoAwareKlaviyoConnection>());
        // Demo mode's built-in model for the LLM personalizer when Settings give it no endpoint.
        services.AddModelSandbox(isEnabled: provider => provider.GetRequiredService<DemoModeInfo>().IsDemo);
        services.AddSingleton<IFallbackLlmEndpoint, DemoModelEndpoint>();
        services.AddReflyCore(builder.Configuration);
        services.AddAccounts(builder.Configuration);
        services.AddSettings(builder.Configuration);
        services.AddKlaviyoKeySettings();
        services.AddAutomation();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddCascadingAuthenticationState();
        services.AddMudServices();
        services.AddScoped<BrowserTimeZone>();
        services.AddProblemDetails();
        services.AddAutomationOpenApi();
        // Binding failures reach ApiProblemMiddleware as exceptions, which answers them in words.
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

        services.AddOptions<AutomationOptions>().BindConfiguration(AutomationOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AutomationOptions>, AutomationOptionsValidator>();
        services.AddSingleton<AutomationTokenThrottle>();
        services.AddReflySignIn();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = RequestLimits.MaxRequestBodyBytes);
    }

    public static async Task<WebApplication> UseReflyDashboardAsync(this WebApplication app)
    {
        // The database file is created 0600 before SQLite opens it (the data folder is 0700), whoever started the app.
        PrivateFiles.PrepareDatabaseFile(app.Services.GetRequiredService<DataFolders>().DatabaseFile);
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<AccountsMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<SettingsService>().LoadAsync(app.Lifetime.ApplicationStopping);
        await app.Services.GetRequiredService<AutomationTokenService>().LoadAsync(app.Lifetime.ApplicationStopping);

        // Forwarded headers first: the scheme (HSTS), the client's address (throttles) and the host are the client's.
        app.UseReflyOperations();
        app.UseReflySecurityHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseMiddleware<ApiProblemMiddleware>();
        app.UseRateLimiter();
        app.UseMiddleware<SetupRedirectMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseMiddleware<ApiRequestLimitsMiddleware>();
        app.UseAntiforgery();

        app.MapStaticAssets().AllowAnonymous();
        app.MapReflyOperations();
        app.MapAutomationApi();
        app.MapAccountEndpoints();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
