using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Refly.Core.Leases;

public static class LeasesServiceCollectionExtensions
{
    /// <summary>
    /// Database leases (section "Leases", validated at start): the <see cref="LeaseManager"/> and the
    /// <see cref="LeaseKeeper"/> that renews them. Register before the Quartz hosted service, so leases are released
    /// only after the jobs they guard stopped.
    /// </summary>
    public static IServiceCollection AddLeases(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LeaseOptions>()
            .BindConfiguration(LeaseOptions.Section)
            .Validate(o => o.RenewInterval > TimeSpan.Zero, "Leases:RenewInterval must be positive.")
            .Validate(o => o.Duration >= 2 * o.RenewInterval, "Leases:Duration must be at least twice Leases:RenewInterval, so one late renewal does not lose a lease.")
            .ValidateOnStart();
        services.AddSingleton<LeaseManager>();
        services.AddHostedService<LeaseKeeper>();
        return services;
    }
}
