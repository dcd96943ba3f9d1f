using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Quartz;

namespace Refly.Core.Personalization;

public static class PersonalizationServiceCollectionExtensions
{
    /// <summary>Personalization runs: service, validation, pipeline, Quartz job, recovery at start-up, personalizers.</summary>
    public static IServiceCollection AddPersonalization(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PersonalizationOptions>()
            .BindConfiguration(PersonalizationOptions.SectionName)
            .Validate(o => o.MaxImportJobsInFlight is >= 1 and <= 20, "Personalization:MaxImportJobsInFlight must be 1..20")
            .Validate(o => o.MaxProfilesPerImportJob is >= 1 and <= 10_000, "Personalization:MaxProfilesPerImportJob must be 1..10,000 (Klaviyo's limit)")
            .Validate(o => o.MaxImportJobBytes is >= 10_000 and <= 5_000_000, "Personalization:MaxImportJobBytes must be at most 5 MB (Klaviyo's limit)")
            .Validate(o => o.BatchFlushInterval > TimeSpan.Zero && o.ImportPollInterval > TimeSpan.Zero, "Personalization intervals must be positive")
            .ValidateOnStart();

        services.AddSingleton<IValidator<StartRunContext>, StartRunValidator>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunCancellation>();
        services.AddSingleton<RunScheduler>();
        services.AddSingleton<CampaignEditor>();
        services.AddSingleton<ContentSwitcher>();
        services.AddSingleton<AudiencePipeline>();
        services.AddSingleton<RunCleanup>();
        services.AddSingleton<RunExecutor>();
        services.AddSingleton<PersonalizationRunService>();
        services.AddSingleton<RunQueryService>();

        services.AddSingleton<RuleBasedPersonalizer>();
        services.AddSingleton<IPersonalizer>(provider =>
        {
            var choice = provider.GetRequiredService<IOptions<PersonalizationOptions>>().Value.Personalizer;
            return choice switch
            {
                RuleBasedPersonalizer.PersonalizerName => provider.GetRequiredService<RuleBasedPersonalizer>(),
                _ => throw new OptionsValidationException(PersonalizationOptions.SectionName, typeof(PersonalizationOptions),
                    [$"Personalization:Personalizer '{choice}' is not available; use '{RuleBasedPersonalizer.PersonalizerName}'."]),
            };
        });

        services.AddQuartz(_ => { });
        services.AddHostedService<RunRecovery>();
        return services;
    }
}
