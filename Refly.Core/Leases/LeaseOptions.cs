namespace Refly.Core.Leases;

/// <summary>The "Leases" configuration section: how long a lease lasts without renewal and how often it is renewed.</summary>
public sealed class LeaseOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "Leases";

    /// <summary>
    /// How long a lease holds without renewal: after a kill -9 (or a frozen process), another instance takes the work
    /// over once this has passed since the last renewal.
    /// </summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often held leases are renewed, and how often an instance looks for runs whose lease expired.</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(10);
}
