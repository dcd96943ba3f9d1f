using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Refly.Core.Campaigns;
using Refly.Core.Impact.Reporting;
using Refly.Core.Impact.Holdouts;
using Refly.Core.Leases;
using Refly.Core.Personalization;
using Refly.Core.Triggers;

namespace Refly.Core.Persistence;

/// <summary>The product's SQLite database. Each entity is configured by its own <see cref="IEntityTypeConfiguration{T}"/>.</summary>
public sealed class ReflyDbContext(DbContextOptions<ReflyDbContext> options) : DbContext(options)
{
    public DbSet<Campaign> Campaigns => Set<Campaign>();

    public DbSet<CampaignMessage> CampaignMessages => Set<CampaignMessage>();

    public DbSet<PersonalizationRun> Runs => Set<PersonalizationRun>();

    public DbSet<RunEvent> RunEvents => Set<RunEvent>();

    public DbSet<RunContact> RunContacts => Set<RunContact>();

    public DbSet<RunImportJob> RunImportJobs => Set<RunImportJob>();

    public DbSet<TagTriggerState> TagTriggerStates => Set<TagTriggerState>();

    public DbSet<LeaseRecord> Leases => Set<LeaseRecord>();

    public DbSet<CachedGeneration> Generations => Set<CachedGeneration>();

    public DbSet<ApprovedCopy> ApprovedCopies => Set<ApprovedCopy>();

    public DbSet<CampaignBriefRecord> CampaignBriefs => Set<CampaignBriefRecord>();

    public DbSet<HoldoutEvent> HoldoutEvents => Set<HoldoutEvent>();

    public DbSet<HoldoutResult> HoldoutResults => Set<HoldoutResult>();

    public DbSet<CampaignReportRow> CampaignReportRows => Set<CampaignReportRow>();

    public DbSet<CampaignReportSchedule> CampaignReportSchedules => Set<CampaignReportSchedule>();

    public DbSet<ReportingBudgetDay> ReportingBudgetDays => Set<ReportingBudgetDay>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(ReflyDbContext).Assembly, type => !AccountsEntityConfigurations.IsAccountsConfiguration(type));

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite cannot compare DateTimeOffset text in SQL; UTC ticks sort and filter correctly.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
        configurationBuilder.Properties<DateTimeOffset?>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        value => value.UtcTicks,
        ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
}
