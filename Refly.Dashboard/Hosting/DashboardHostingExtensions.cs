using Microsoft.AspNetCore.Authentication;
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
    }

    public static void AddReflyDashboard(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        builder.AddReflyOperations();
        // Registered before Core so the sandbox is up before the scheduler's first sync.
        services.AddSingleton(provider => DemoModeInfo.From(provider.GetRequiredService<IConfiguration>()));
        services.AddKlaviyoSandbox(isEnabled: provider => provider.GetRequiredService<DemoModeInfo>().IsDemo);
        services.AddSingleton<OptionsKlaviyoConnection>();
        services.AddSingleton<IKlaviyoConnection, DemoAwareKlaviyoConnection>();
        services.AddReflyCore(builder.Configuration);
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddMudServices();
        services.AddScoped<BrowserTimeZone>();
        services.AddProblemDetails();
        services.AddOpenApi();

        services.AddOptions<AutomationOptions>().BindConfiguration(AutomationOptions.SectionName);
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, AutomationTokenHandler>(AutomationTokenHandler.SchemeName, _ => { });
        services.AddAuthorizationBuilder()
            .AddPolicy(AutomationApi.Policy, policy => policy
                .AddAuthenticationSchemes(AutomationTokenHandler.SchemeName)
                .RequireAuthenticatedUser());
    }

    public static async Task<WebApplication> UseReflyDashboardAsync(this WebApplication app)
    {
        await app.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync(app.Lifetime.ApplicationStopping);

        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/Error", createScopeForErrors: true);
        }
        app.UseReflyOperations();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();

        app.MapStaticAssets();
        app.MapOpenApi();
        app.MapReflyOperations();
        app.MapAutomationApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
