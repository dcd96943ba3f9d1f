using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;

namespace Refly.Dashboard.Accounts;

internal static class AccountEndpoints
{
    /// <summary>Sign-out is a POST with an antiforgery token (a GET link could sign people out from another site).</summary>
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/account/logout", async (SignInManager<IdentityUser> signIn, [FromForm] string? returnUrl) =>
            {
                await signIn.SignOutAsync();
                return TypedResults.LocalRedirect("~/account/login");
            })
            .AllowAnonymous()
            .WithName("SignOut")
            .ExcludeFromDescription();
        return app;
    }
}
