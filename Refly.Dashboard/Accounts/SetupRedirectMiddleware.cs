using Refly.Core.Accounts;

namespace Refly.Dashboard.Accounts;

/// <summary>
/// Until the first admin exists, every page redirects to /setup. Static assets, the automation API and its OpenAPI
/// document (which answer 401 without a token anyway) and /health stay as they are.
/// </summary>
internal sealed class SetupRedirectMiddleware(RequestDelegate next, AccountService accounts)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.StartsWithSegments("/setup") || Automation.AutomationApi.IsApiRequest(context.Request) || path.StartsWithSegments("/health")
            || path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_content") || Path.HasExtension(path.Value)
            || await accounts.IsSetUpAsync(context.RequestAborted))
        {
            await next(context);
            return;
        }
        context.Response.Redirect("/setup");
    }
}
