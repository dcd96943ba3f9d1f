using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Quartz;

namespace Refly.Core.Personalization;

public static class PersonalizationServiceCollectionExtensions
{
    /// <summary>Personalization runs: service, validation, pipeline, Quartz job, recovery at start-up, personalizers.</summary>
    public static IServiceCollection AddPersonalization(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddPersonalizers(configuration);
        services.AddOptions<PersonalizationOptions>()
            .Validate(o => o.BatchFlushInterval > TimeSpan.Zero && o.ImportPollInterval > TimeSpan.Zero, "Personalization intervals must be positive")
            .Validate(o => o.DatabaseRetryDelay > TimeSpan.Zero && o.CleanupRetryDelay > TimeSpan.Zero, "Personalization retry delays must be positive");

        services.AddSingleton<IValidator<StartRunContext>, StartRunValidator>();
        services.AddSingleton<IValidator<CampaignBrief>, CampaignBriefValidator>();
        services.AddSingleton<CampaignBriefStore>();
        services.AddSingleton<RunStore>();
        services.AddSingleton<RunCancellation>();
        services.AddSingleton<RunScheduler>();
        services.AddSingleton<CampaignEditor>();
        services.AddSingleton<ContentSwitcher>();
        services.AddSingleton<AudienceReader>();
        services.AddSingleton<AudienceImportWriter>();
        services.AddSingleton<AudiencePipeline>();
        services.AddSingleton<RunImportJobLedger>();
        services.AddSingleton<RunCleanup>();
        services.AddSingleton<RunExecutor>();
        services.AddSingleton<PersonalizationRunService>();
        services.AddSingleton<ExpectedThroughput>();
        services.AddSingleton<RunQueryService>();
        services.AddSingleton<PersonalizationPlanner>();
        services.AddSingleton<GroupDirectory>();
        services.AddPersonalizationPlanning();
        services.AddSingleton<ApprovedCopyStore>();
        services.AddSingleton<SampleApproval>();
        services.AddEmailPreview();

        services.AddQuartz(_ => { });
        services.AddSingleton<RunRecovery>();
        services.AddHostedService(sp => sp.GetRequiredService<RunRecovery>());
        return services;
    }
}
