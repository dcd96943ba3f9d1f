namespace Refly.Core.Leases;

/// <summary>
/// A lease this instance holds (see <see cref="LeaseManager"/>): renewed in the background until released;
/// <see cref="Lost"/> fires when a renewal finds that another instance took it over.
/// </summary>
public sealed class Lease
{
    private readonly CancellationTokenSource _lost = new();
    private long _expiresAtTicks;

    internal Lease(string name, string owner, string? previousOwner, DateTimeOffset expiresAt)
    {
        Name = name;
        Owner = owner;
        PreviousOwner = previousOwner;
        _expiresAtTicks = expiresAt.UtcTicks;
    }

    /// <summary>What the lease guards.</summary>
    public string Name { get; }

    /// <summary>This instance's owner id.</summary>
    public string Owner { get; }

    /// <summary>Who held the lease before this instance took it: null for a new lease, <see cref="Owner"/> when it was this instance.</summary>
    public string? PreviousOwner { get; }

    /// <summary>The lease was held (or last released) by another instance before this one took it: the work changed hands.</summary>
    public bool ChangedHands => PreviousOwner is not null && !string.Equals(PreviousOwner, Owner, StringComparison.Ordinal);

    /// <summary>Until when the lease holds, as of its last successful renewal.</summary>
    public DateTimeOffset ExpiresAt
    {
        get => new(Interlocked.Read(ref _expiresAtTicks), TimeSpan.Zero);
        internal set => Interlocked.Exchange(ref _expiresAtTicks, value.UtcTicks);
    }

    /// <summary>Another instance holds the lease now: stop the work it guards (writes under it are refused anyway).</summary>
    public bool IsLost => _lost.IsCancellationRequested;

    /// <summary>Cancelled when the lease is lost.</summary>
    public CancellationToken Lost => _lost.Token;

    internal void MarkLost() => _lost.Cancel();
}

/// <summary>The answer of <see cref="LeaseManager.TryAcquireAsync"/>: the lease, or who holds it and until when.</summary>
/// <param name="Lease">The lease, when this instance took it.</param>
/// <param name="HeldBy">The holder's owner id, when refused.</param>
/// <param name="HeldUntil">Until when the holder's lease lasts (unless renewed), when refused.</param>
public sealed record LeaseAttempt(Lease? Lease, string? HeldBy, DateTimeOffset? HeldUntil)
{
    /// <summary>Whether this instance holds the lease now.</summary>
    public bool Acquired => Lease is not null;
}
