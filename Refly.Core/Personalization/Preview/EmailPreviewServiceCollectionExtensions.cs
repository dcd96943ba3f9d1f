using Microsoft.Extensions.DependencyInjection;

namespace Refly.Core.Personalization;

public static class EmailPreviewServiceCollectionExtensions
{
    /// <summary>The email preview (<see cref="EmailPreviewService"/>): needs the Klaviyo client and the personalizers.</summary>
    public static IServiceCollection AddEmailPreview(this IServiceCollection services)
    {
        services.AddSingleton<EmailPreviewService>();
        return services;
    }
}
