using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Tests.Unit.Personalization;

public sealed class GroupCommitClaimsTests
{
    private static KlaviyoProfile Profile(string id) => new(id, $"{id}@example.test", null, null, null, null, null, new Dictionary<string, string?>());

    private static List<KlaviyoProfile> Page(params string[] ids) => ids.Select(Profile).ToList();

    /// <summary>An in-memory INSERT OR IGNORE ... RETURNING that records each statement and can be held open.</summary>
    private sealed class FakeClaimsTable
    {
        private readonly HashSet<string> _known = new(StringComparer.Ordinal);

        public List<int> StatementSizes { get; } = [];

        public TaskCompletionSource FirstStatementGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Exception? FailWith { get; set; }

        public async Task<HashSet<string>> InsertAsync(IReadOnlyList<KlaviyoProfile> contacts, CancellationToken cancellationToken)
        {
            lock (StatementSizes)
            {
                StatementSizes.Add(contacts.Count);
            }
            if (StatementSizes.Count == 1)
            {
                await FirstStatementGate.Task.WaitAsync(cancellationToken);
            }
            if (FailWith is not null)
            {
                throw FailWith;
            }
            var inserted = new HashSet<string>(StringComparer.Ordinal);
            foreach (var contact in contacts)
            {
                if (_known.Add(contact.Id))
                {
                    inserted.Add(contact.Id);
                }
            }
            return inserted;
        }
    }

    [Fact]
    public async Task ClaimAsync_PagesQueuedWhileAStatementRuns_AreClaimedTogetherAndEachContactGoesToTheFirstPageNamingIt()
    {
        var table = new FakeClaimsTable();
        await using var claims = new GroupCommitClaims(table.InsertAsync, CancellationToken.None);

        var first = claims.ClaimAsync(Page("a", "b"), CancellationToken.None);
        await WaitUntilAsync(() => table.StatementSizes.Count == 1);
        var second = claims.ClaimAsync(Page("b", "c", "d"), CancellationToken.None);
        var third = claims.ClaimAsync(Page("d", "e"), CancellationToken.None);
        table.FirstStatementGate.SetResult();

        Assert.Equal(["a", "b"], (await first).Select(p => p.Id));
        Assert.Equal(["c", "d"], (await second).Select(p => p.Id));
        Assert.Equal(["e"], (await third).Select(p => p.Id));
        Assert.Equal([2, 5], table.StatementSizes);
    }

    [Fact]
    public async Task ClaimAsync_StatementFails_EveryPageOfTheGroupSeesTheFailure()
    {
        var table = new FakeClaimsTable { FailWith = new InvalidOperationException("database is locked") };
        await using var claims = new GroupCommitClaims(table.InsertAsync, CancellationToken.None);

        var first = claims.ClaimAsync(Page("a"), CancellationToken.None);
        await WaitUntilAsync(() => table.StatementSizes.Count == 1);
        var second = claims.ClaimAsync(Page("b"), CancellationToken.None);
        table.FirstStatementGate.SetResult();

        Assert.Equal("database is locked", (await Assert.ThrowsAsync<InvalidOperationException>(() => first)).Message);
        Assert.Equal("database is locked", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message);
    }

    [Fact]
    public async Task ClaimAsync_AfterStop_IsCancelledInsteadOfHanging()
    {
        var table = new FakeClaimsTable();
        using var stop = new CancellationTokenSource();
        await using var claims = new GroupCommitClaims(table.InsertAsync, stop.Token);

        var held = claims.ClaimAsync(Page("a"), CancellationToken.None);
        await WaitUntilAsync(() => table.StatementSizes.Count == 1);
        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => claims.ClaimAsync(Page("b"), CancellationToken.None));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
