using Microsoft.AspNetCore.Mvc;
using Refly.Core.Accounts;

namespace Refly.Dashboard.Accounts;

internal static class AccountEndpoints
{
    /// <summary>
    /// Sign-out is a POST with an antiforgery token (a GET link could sign people out from another site). It changes
    /// the user's security stamp, so a copy of the cookie is refused afterwards.
    /// </summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", async (SignInService signIn, HttpContext http, [FromForm] string? returnUrl) =>
            {
                await signIn.SignOutAsync(http.User);
                return TypedResults.LocalRedirect("~/account/login");
            })
            .AllowAnonymous()
            .WithName("SignOut")
            .ExcludeFromDescription();
        return app;
    }
}
