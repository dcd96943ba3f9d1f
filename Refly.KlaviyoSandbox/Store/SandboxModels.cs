namespace Refly.KlaviyoSandbox.Store;

/// <summary>Raw campaign statuses of revision 2026-07-15 that the sandbox's state machine uses.</summary>
public static class CampaignStatuses
{
    public const string Draft = "Draft";
    public const string Scheduled = "Scheduled";
    public const string Sending = "Sending";
    public const string Sent = "Sent";
    public const string Cancelled = "Cancelled";

    /// <summary>Every value of the spec's status enum; tests may set any of them.</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "Adding Recipients", "Cancelled", "Cancelled: Account Disabled", "Cancelled: Billing Limit", "Cancelled: Internal Error",
        "Cancelled: Misconfigured", "Cancelled: No Recipients", "Cancelled: Smart Sending", "Draft", "Preparing to schedule",
        "Preparing to send", "Queued without Recipients", "Scheduled", "Sending", "Sending Segments", "Sent", "Unknown", "Variations Sent",
    };
}

/// <summary>A campaign as the sandbox account holds it. Mutate only through <see cref="SandboxStore"/> so changes stay consistent.</summary>
public sealed class SandboxCampaign
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public string Status { get; set; } = CampaignStatuses.Draft;
    public bool Archived { get; set; }
    public List<string> Included { get; set; } = [];
    public List<string> Excluded { get; set; } = [];

    /// <summary>send_strategy.method: "static", "immediate" or "smart_send_time".</summary>
    public string SendMethod { get; set; } = "static";
    public DateTimeOffset? SendDatetime { get; set; }
    public DateTimeOffset? ScheduledAt { get; set; }
    public DateTimeOffset? SendTime { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public List<SandboxMessage> Messages { get; } = [];
    public HashSet<string> TagIds { get; } = new(StringComparer.Ordinal);

    internal SandboxCampaign Clone()
    {
        var copy = new SandboxCampaign
        {
            Id = Id, Name = Name, Status = Status, Archived = Archived, Included = [.. Included], Excluded = [.. Excluded],
            SendMethod = SendMethod, SendDatetime = SendDatetime, ScheduledAt = ScheduledAt, SendTime = SendTime,
            CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
        copy.Messages.AddRange(Messages.Select(m => m.Clone()));
        copy.TagIds.UnionWith(TagIds);
        return copy;
    }
}

public sealed class SandboxMessage
{
    public required string Id { get; init; }
    public required string CampaignId { get; init; }
    public string? Label { get; set; }
    public string? Subject { get; set; }
    public string? PreviewText { get; set; }
    public string? FromEmail { get; set; } = "hello@refly-demo.shop";
    public string? FromLabel { get; set; } = "Refly Demo Shop";
    public string? ReplyToEmail { get; set; }
    public string? CcEmail { get; set; }
    public string? BccEmail { get; set; }
    public string? TemplateId { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }

    internal SandboxMessage Clone() => (SandboxMessage)MemberwiseClone();
}

public sealed class SandboxTemplate
{
    public required string Id { get; init; }
    public required string Name { get; set; }
    public string EditorType { get; init; } = "CODE";
    public required string Html { get; set; }
    public string? Text { get; set; }
    public string? Amp { get; set; }

    /// <summary>False for the per-message clones made by assign-template; Klaviyo hides those from GET /api/templates.</summary>
    public bool Reusable { get; init; } = true;
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; set; }

    internal SandboxTemplate Clone() => (SandboxTemplate)MemberwiseClone();
}

public sealed record SandboxTag(string Id, string Name);

public enum SandboxGroupKind { List, Segment }

/// <summary>
/// A list or segment. Members are a generated index range (profiles produced on demand, never stored) followed by
/// explicitly added profiles. joined_group_at grows with the position, so a joined window maps to a position range.
/// </summary>
public sealed class SandboxGroup
{
    public required string Id { get; init; }
    public required SandboxGroupKind Kind { get; init; }
    public required string Name { get; set; }
    public long GeneratedStart { get; init; }
    public long GeneratedCount { get; init; }
    internal List<long> ExplicitMembers { get; } = [];
    public DateTimeOffset JoinedBase { get; init; }
    public TimeSpan JoinedStep { get; init; } = TimeSpan.FromMinutes(1);
    public DateTimeOffset Created { get; init; }

    public long Count
    {
        get
        {
            lock (ExplicitMembers)
            {
                return GeneratedCount + ExplicitMembers.Count;
            }
        }
    }

    internal long IndexAt(long position)
    {
        if (position < GeneratedCount)
        {
            return GeneratedStart + position;
        }
        lock (ExplicitMembers)
        {
            return ExplicitMembers[(int)(position - GeneratedCount)];
        }
    }

    public DateTimeOffset JoinedAt(long position) => JoinedBase + JoinedStep * position;

    /// <summary>Position of a profile in this group, or -1.</summary>
    internal long PositionOf(long index)
    {
        if (index >= GeneratedStart && index < GeneratedStart + GeneratedCount)
        {
            return index - GeneratedStart;
        }
        lock (ExplicitMembers)
        {
            var i = ExplicitMembers.IndexOf(index);
            return i < 0 ? -1 : GeneratedCount + i;
        }
    }
}

/// <summary>A profile as served: generated, then overlaid with whatever was written to it.</summary>
public sealed class SandboxProfile
{
    public required string Id { get; init; }
    public long Index { get; init; }
    public string? Email { get; set; }
    public string? PhoneNumber { get; set; }
    public string? ExternalId { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Organization { get; set; }
    public string? Locale { get; set; }
    public string? Title { get; set; }
    public string? City { get; set; }
    public string? Country { get; set; }
    public string? Region { get; set; }
    public string? Timezone { get; set; }
    public Dictionary<string, object?> Properties { get; init; } = new(StringComparer.Ordinal);
    public DateTimeOffset Created { get; init; }
    public DateTimeOffset Updated { get; set; }

    internal SandboxProfile Clone() => new()
    {
        Id = Id, Index = Index, Email = Email, PhoneNumber = PhoneNumber, ExternalId = ExternalId, FirstName = FirstName,
        LastName = LastName, Organization = Organization, Locale = Locale, Title = Title, City = City, Country = Country,
        Region = Region, Timezone = Timezone, Properties = new Dictionary<string, object?>(Properties, StringComparer.Ordinal),
        Created = Created, Updated = Updated,
    };
}

/// <summary>Seed for an explicit profile added by a test.</summary>
public sealed record ProfileSeed(
    string Email,
    string? FirstName = null,
    string? LastName = null,
    string? City = null,
    string? Country = null,
    IReadOnlyDictionary<string, object?>? Properties = null);

/// <summary>Seed for a campaign message: its template is created from <paramref name="Html"/>.</summary>
public sealed record MessageSeed(string Label, string Subject, string PreviewText, string Html);
