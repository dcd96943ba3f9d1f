namespace Refly.Core.Personalization;

/// <summary>Options of the "Personalization" section.</summary>
public sealed class PersonalizationOptions
{
    public const string SectionName = "Personalization";

    /// <summary>Which personalizer runs: "rule-based" (default, offline) or "llm".</summary>
    public string Personalizer { get; set; } = RuleBasedPersonalizer.PersonalizerName;

    /// <summary>Import jobs written but not yet confirmed complete, at most.</summary>
    public int MaxImportJobsInFlight { get; set; } = 4;

    /// <summary>A batch is sent when it is this old even if not full, so progress moves steadily.</summary>
    public TimeSpan BatchFlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often an import job's status is asked for.</summary>
    public TimeSpan ImportPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Profiles per import job (Klaviyo allows 10,000).</summary>
    public int MaxProfilesPerImportJob { get; set; } = 10_000;

    /// <summary>Estimated payload bytes per import job; Klaviyo's limit is 5 MB, this leaves room for JSON overhead.</summary>
    public int MaxImportJobBytes { get; set; } = 4_000_000;

    /// <summary>Throughput assumed for estimates before a run has measured its own.</summary>
    public double ExpectedContactsPerSecond { get; set; } = RunEstimate.DefaultExpectedContactsPerSecond;
}
