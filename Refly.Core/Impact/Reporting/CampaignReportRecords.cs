using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Refly.Core.Impact.Reporting;

/// <summary>One campaign message's numbers as Klaviyo's campaign values report last gave them.</summary>
public sealed class CampaignReportRow
{
    public int Id { get; set; }

    /// <summary>Klaviyo's campaign id.</summary>
    public required string CampaignKlaviyoId { get; set; }

    /// <summary>Klaviyo's campaign message id.</summary>
    public required string MessageKlaviyoId { get; set; }

    /// <summary><c>recipients</c>.</summary>
    public long Recipients { get; set; }

    /// <summary><c>delivered</c>.</summary>
    public long Delivered { get; set; }

    /// <summary><c>opens_unique</c>.</summary>
    public long UniqueOpens { get; set; }

    /// <summary><c>clicks_unique</c>.</summary>
    public long UniqueClicks { get; set; }

    /// <summary><c>conversion_uniques</c> (recipients who converted, with the conversion metric below).</summary>
    public long UniqueConversions { get; set; }

    /// <summary><c>conversion_value</c>, in the account's currency.</summary>
    public double ConversionValue { get; set; }

    /// <summary>The metric conversions were counted with.</summary>
    public required string ConversionMetricId { get; set; }

    /// <summary>When Klaviyo answered the report these numbers come from.</summary>
    public DateTimeOffset FetchedAt { get; set; }

    /// <summary>The counts as the lift calculation takes them.</summary>
    public ImpactRates ToRates() => new(Recipients, UniqueOpens, UniqueClicks, UniqueConversions, ConversionValue);
}

/// <summary>When a Sent campaign's report is read next: 2 h, 24 h, 72 h and 7 days after the send, then never.</summary>
public sealed class CampaignReportSchedule
{
    /// <summary>Klaviyo's campaign id (the key).</summary>
    public required string CampaignKlaviyoId { get; set; }

    /// <summary>The campaign's send time, which the steps count from.</summary>
    public DateTimeOffset SentAt { get; set; }

    /// <summary>When the report is due; null when the last step is done.</summary>
    public DateTimeOffset? NextDueAt { get; set; }

    /// <summary>When Klaviyo last answered for this campaign.</summary>
    public DateTimeOffset? LastFetchedAt { get; set; }

    /// <summary>Reports read so far.</summary>
    public int Fetches { get; set; }

    /// <summary>Why the last attempt failed (a Klaviyo error), cleared by the next success.</summary>
    public string? LastError { get; set; }
}

/// <summary>How many campaign values reports Refly asked for on one UTC day (Klaviyo's daily window).</summary>
public sealed class ReportingBudgetDay
{
    /// <summary>Midnight UTC of the day.</summary>
    public DateTimeOffset Day { get; set; }

    /// <summary>Reports asked for that day.</summary>
    public int Queries { get; set; }
}

internal sealed class CampaignReportRowConfiguration : IEntityTypeConfiguration<CampaignReportRow>
{
    public void Configure(EntityTypeBuilder<CampaignReportRow> builder)
    {
        builder.ToTable("CampaignReportRows");
        builder.HasIndex(r => new { r.CampaignKlaviyoId, r.MessageKlaviyoId }).IsUnique();
        builder.Property(r => r.CampaignKlaviyoId).HasMaxLength(64);
        builder.Property(r => r.MessageKlaviyoId).HasMaxLength(64);
        builder.Property(r => r.ConversionMetricId).HasMaxLength(64);
    }
}

internal sealed class CampaignReportScheduleConfiguration : IEntityTypeConfiguration<CampaignReportSchedule>
{
    public void Configure(EntityTypeBuilder<CampaignReportSchedule> builder)
    {
        builder.ToTable("CampaignReportSchedules");
        builder.HasKey(s => s.CampaignKlaviyoId);
        builder.Property(s => s.CampaignKlaviyoId).HasMaxLength(64);
        builder.Property(s => s.LastError).HasMaxLength(1000);
        builder.HasIndex(s => s.NextDueAt);
    }
}

internal sealed class ReportingBudgetDayConfiguration : IEntityTypeConfiguration<ReportingBudgetDay>
{
    public void Configure(EntityTypeBuilder<ReportingBudgetDay> builder)
    {
        builder.ToTable("ReportingBudgetDays");
        builder.HasKey(d => d.Day);
    }
}
