namespace Refly.Core.Klaviyo;
public class KlaviyoException(string message) : Exception(message);
public static class KlaviyoPlaceholderExtensions
{
    public static Microsoft.Extensions.DependencyInjection.IServiceCollection AddKlaviyo(this Microsoft.Extensions.DependencyInjection.IServiceCollection s, Microsoft.Extensions.Configuration.IConfiguration c) => s;
}
