namespace Refly.Core.Leases;

/// <summary>
/// A write was refused because this instance no longer holds the lease guarding it: another instance took the work
/// over (this one stopped renewing long enough for the lease to expire). The writer stops; nothing was written.
/// </summary>
public sealed class LeaseLostException(string leaseName)
    : Exception($"The lease '{leaseName}' is held by another instance now; this instance stopped its work without writing.")
{
    /// <summary>The lease that was lost.</summary>
    public string LeaseName { get; } = leaseName;
}
