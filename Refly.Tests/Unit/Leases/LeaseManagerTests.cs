using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Refly.Core.Leases;
using Refly.Core.Persistence;

namespace Refly.Tests.Unit.Leases;

/// <summary>
/// Two lease managers (as two app instances) on one real SQLite file with the product's migrations, on one fake clock:
/// at most one holds a lease, a lease changes hands only once it expired or was released, and the instance that lost it
/// can no longer write under it.
/// </summary>
public sealed class LeaseManagerTests : IAsyncDisposable
{
    private static readonly TimeSpan _duration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan _renewInterval = TimeSpan.FromSeconds(10);

    private readonly string _folder = Directory.CreateTempSubdirectory("refly-lease-").FullName;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services;
    private readonly IDbContextFactory<ReflyDbContext> _contexts;

    public LeaseManagerTests()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:Refly"] = $"Data Source={Path.Combine(_folder, "refly.db")}" })
            .Build();
        _services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddPersistence(configuration)
            .BuildServiceProvider();
        _contexts = _services.GetRequiredService<IDbContextFactory<ReflyDbContext>>();
        _services.GetRequiredService<DatabaseMigrator>().MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    [Fact]
    public async Task TryAcquire_WhileAnotherInstanceHoldsIt_IsRefusedAndNamesTheHolder()
    {
        var (first, second) = (NewInstance(), NewInstance());

        var taken = await first.TryAcquireAsync("run:a", CancellationToken.None);
        var refused = await second.TryAcquireAsync("run:a", CancellationToken.None);

        Assert.True(taken.Acquired);
        Assert.False(refused.Acquired);
        Assert.Equal(first.OwnerId, refused.HeldBy);
        Assert.Equal(_clock.GetUtcNow() + _duration, refused.HeldUntil);
        Assert.NotEqual(first.OwnerId, second.OwnerId);
    }

    [Fact]
    public async Task TryAcquire_HolderStoppedRenewing_TakenOverOnlyOnceItExpired()
    {
        var (first, second) = (NewInstance(), NewInstance());
        await first.TryAcquireAsync("run:a", CancellationToken.None);

        _clock.Advance(_duration - TimeSpan.FromSeconds(1));
        var early = await second.TryAcquireAsync("run:a", CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var late = await second.TryAcquireAsync("run:a", CancellationToken.None);

        Assert.False(early.Acquired);
        Assert.True(late.Acquired);
        Assert.True(late.Lease!.ChangedHands);
        Assert.Equal(first.OwnerId, late.Lease.PreviousOwner);
    }

    [Fact]
    public async Task RenewAll_EveryInterval_KeepsTheLeaseFarPastOneDuration()
    {
        var (first, second) = (NewInstance(), NewInstance());
        var lease = (await first.TryAcquireAsync("tag-poll", CancellationToken.None)).Lease!;

        for (var i = 0; i < 10; i++)
        {
            _clock.Advance(_renewInterval);
            await first.RenewAllAsync(CancellationToken.None);
            Assert.False((await second.TryAcquireAsync("tag-poll", CancellationToken.None)).Acquired, $"taken over after {i + 1} renewals");
        }
        Assert.False(lease.IsLost);
        Assert.Equal(_clock.GetUtcNow() + _duration, lease.ExpiresAt);
    }

    [Fact]
    public async Task RenewAll_AfterAnotherInstanceTookTheExpiredLease_MarksItLost()
    {
        var (first, second) = (NewInstance(), NewInstance());
        var stale = (await first.TryAcquireAsync("run:a", CancellationToken.None)).Lease!;
        _clock.Advance(_duration);
        Assert.True((await second.TryAcquireAsync("run:a", CancellationToken.None)).Acquired);

        await first.RenewAllAsync(CancellationToken.None);

        Assert.True(stale.IsLost);
        Assert.True(stale.Lost.IsCancellationRequested);
        // The renewal of the old holder did not take the lease back.
        Assert.False((await first.TryAcquireAsync("run:a", CancellationToken.None)).Acquired);
    }

    [Fact]
    public async Task EnsureHeld_AfterAnotherInstanceTookTheLease_RefusesTheWrite()
    {
        var (first, second) = (NewInstance(), NewInstance());
        await first.TryAcquireAsync("run:a", CancellationToken.None);
        await using (var db = await _contexts.CreateDbContextAsync())
        {
            await using var ok = await first.BeginFencedAsync(db, "run:a", CancellationToken.None);
            Assert.NotNull(ok);
        }
        _clock.Advance(_duration);
        await second.TryAcquireAsync("run:a", CancellationToken.None);

        await using var stale = await _contexts.CreateDbContextAsync();
        await Assert.ThrowsAsync<LeaseLostException>(() => first.BeginFencedAsync(stale, "run:a", CancellationToken.None));
        // The new holder writes; an instance that never held the lease is not fenced (e.g. a marketer's cancel).
        await using var current = await _contexts.CreateDbContextAsync();
        await using var fenced = await second.BeginFencedAsync(current, "run:a", CancellationToken.None);
        Assert.NotNull(fenced);
        await using var other = await _contexts.CreateDbContextAsync();
        Assert.Null(await NewInstance().BeginFencedAsync(other, "run:a", CancellationToken.None));
    }

    [Fact]
    public async Task Release_LetsAnotherInstanceTakeItAtOnce()
    {
        var (first, second) = (NewInstance(), NewInstance());
        var lease = (await first.TryAcquireAsync("run:a", CancellationToken.None)).Lease!;

        await first.ReleaseAsync(lease, forget: false, CancellationToken.None);
        var taken = await second.TryAcquireAsync("run:a", CancellationToken.None);

        Assert.True(taken.Acquired);
        Assert.Equal(first.OwnerId, taken.Lease!.PreviousOwner);
        Assert.Null(first.Held("run:a"));
    }

    [Fact]
    public async Task TryAcquire_ReleasedAndForgotten_StartsAsANewLease()
    {
        var first = NewInstance();
        var lease = (await first.TryAcquireAsync("run:a", CancellationToken.None)).Lease!;
        await first.ReleaseAsync(lease, forget: true, CancellationToken.None);

        await using var db = await _contexts.CreateDbContextAsync();
        Assert.Empty(await db.Leases.ToListAsync());
        Assert.Null((await NewInstance().TryAcquireAsync("run:a", CancellationToken.None)).Lease!.PreviousOwner);
    }

    [Fact]
    public async Task TryAcquire_ManyAtOnceFromTwoInstances_ExactlyOneWins()
    {
        var (first, second) = (NewInstance(), NewInstance());
        var names = Enumerable.Range(0, 10).Select(i => $"run:{i}").ToList();

        var attempts = await Task.WhenAll(names.SelectMany(name => new[] { first, second }
            .Select(instance => Task.Run(() => instance.TryAcquireAsync(name, CancellationToken.None)))));

        foreach (var name in names)
        {
            Assert.Single(attempts, a => a.Lease?.Name == name);
        }
    }

    [Fact]
    public async Task HoldAsync_KeepsTheLeaseWithItsHolder_UntilItStopsRenewing()
    {
        var (first, second) = (NewInstance(), NewInstance());

        Assert.True(await first.HoldAsync("tag-poll", CancellationToken.None));
        Assert.False(await second.HoldAsync("tag-poll", CancellationToken.None));
        Assert.True(await first.HoldAsync("tag-poll", CancellationToken.None));
        _clock.Advance(_duration);
        Assert.True(await second.HoldAsync("tag-poll", CancellationToken.None));
        await first.RenewAllAsync(CancellationToken.None);
        Assert.False(await first.HoldAsync("tag-poll", CancellationToken.None));
    }

    private LeaseManager NewInstance() => new(
        _contexts,
        _clock,
        new StaticOptionsMonitor(new LeaseOptions { Duration = _duration, RenewInterval = _renewInterval }),
        NullLogger<LeaseManager>.Instance);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // Left for the system's temp clean-up.
        }
    }

    private sealed class StaticOptionsMonitor(LeaseOptions value) : IOptionsMonitor<LeaseOptions>
    {
        public LeaseOptions CurrentValue => value;

        public LeaseOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<LeaseOptions, string?> listener) => null;
    }
}
