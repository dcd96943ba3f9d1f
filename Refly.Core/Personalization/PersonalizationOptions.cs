using System.ComponentModel.DataAnnotations;

namespace Refly.Core.Personalization;

/// <summary>Options of the "Personalization" section.</summary>
public sealed class PersonalizationOptions
{
    public const string SectionName = "Personalization";

    /// <summary>
    /// Which <see cref="IPersonalizer"/> runs: <see cref="RuleBasedPersonalizer.PersonalizerName"/> (default,
    /// offline) or <see cref="LlmPersonalizer.PersonalizerName"/> (needs <c>Personalization:Llm</c>).
    /// </summary>
    [Required]
    public string Personalizer { get; set; } = RuleBasedPersonalizer.PersonalizerName;

    /// <summary>Import jobs written but not yet confirmed complete, at most.</summary>
    [Range(1, 20)]
    public int MaxImportJobsInFlight { get; set; } = 4;

    /// <summary>A batch is sent when it is this old even if not full, so progress moves steadily.</summary>
    public TimeSpan BatchFlushInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often an import job's status is asked for.</summary>
    public TimeSpan ImportPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Profiles per import job (Klaviyo allows 10,000).</summary>
    [Range(1, 10_000)]
    public int MaxProfilesPerImportJob { get; set; } = 10_000;

    /// <summary>Estimated payload bytes per import job; Klaviyo's limit is 5 MB, this leaves room for JSON overhead.</summary>
    [Range(10_000, 5_000_000)]
    public int MaxImportJobBytes { get; set; } = 4_000_000;

    /// <summary>Audience streams read at once (lists, segments and joined_group_at windows of large ones).</summary>
    [Range(1, 64)]
    public int ReadConcurrency { get; set; } = 8;

    /// <summary>
    /// Pages a stream reads ahead while earlier pages are still being personalized (a model call writing 16 groups takes
    /// seconds; reading on keeps the model's concurrency busy: 8 streams x 32 pages keep ~256 calls' worth in flight).
    /// Pages are still handed to the writer in their order, each as soon as it and those before it are ready.
    /// </summary>
    [Range(1, 256)]
    public int PagesAheadPerStream { get; set; } = 32;

    /// <summary>A list or segment is split into a joined_group_at window per this many profiles.</summary>
    [Range(100, 10_000_000)]
    public long ProfilesPerWindow { get; set; } = 1_000;

    /// <summary>At most this many windows per list or segment.</summary>
    [Range(1, 256)]
    public int MaxWindowsPerGroup { get; set; } = 64;

    /// <summary>How often a running run checks that its campaign still exists in Klaviyo.</summary>
    public TimeSpan CampaignCheckInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A run that meets a database error (locked past busy_timeout, disk full) pauses and tries again after this long,
    /// resuming from its checkpoint.
    /// </summary>
    public TimeSpan DatabaseRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A clean-up (restore the originals, remove the properties) that could not finish is tried again after this long.</summary>
    public TimeSpan CleanupRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Throughput assumed for estimates before a run has measured its own; null (the default) derives it from Klaviyo's
    /// limit and <c>Klaviyo:RateLimitShare</c> (<see cref="RunEstimate.ExpectedContactsPerSecond"/>).
    /// </summary>
    [Range(1.0, 1_000_000.0)]
    public double? ExpectedContactsPerSecond { get; set; }

    /// <summary>
    /// Share of the audience held out as a control where nobody chooses one: the tag flow, and the modal's starting value
    /// (0 to 0.5; 0 holds nobody out).
    /// </summary>
    [Range(0.0, 0.5)]
    public double DefaultHoldoutShare { get; set; } = 0.10;
}
