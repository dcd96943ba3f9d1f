using Refly.Dashboard.Hosting;

if (BackupCommand.Handles(args))
{
    return await BackupCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);
builder.AddReflyConfiguration();
builder.AddReflyDashboard();

var app = builder.Build();
await app.UseReflyDashboardAsync();
await app.RunAsync();
return 0;

/// <summary>The entry point; public so integration tests can start the app with WebApplicationFactory.</summary>
public partial class Program;
