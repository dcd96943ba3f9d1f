namespace Refly.Core.Personalization;

/// <summary>
/// The lease of one run (see <see cref="Leases.LeaseManager"/>): the instance executing a run holds it, renewed while the
/// run is carried forward, released when its job ends; another instance resumes the run only once it is free or expired.
/// </summary>
public static class RunLease
{
    /// <summary>The lease name of the run <paramref name="runId"/>.</summary>
    public static string NameFor(Guid runId) => $"run:{runId:N}";
}
