using System.Threading.Channels;
using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// Claims contacts for a run with group commit: the pages that audience streams hand in while a claim is being
/// written are claimed together in the next statement. One SQLite transaction per group instead of one per page
/// cuts the write cost (a commit rewrites every index page it touched) when many streams read fast, and changes
/// nothing when they read slowly (a lone page is claimed at once). The first page of a group that names a contact
/// gets it, as if the pages had been claimed one after another in that order.
/// </summary>
internal sealed class GroupCommitClaims : IAsyncDisposable
{
    /// <summary>Contacts claimed in one statement at most (SQLite's json_each has no limit; this bounds a commit).</summary>
    internal const int MaxContactsPerCommit = 5_000;

    private readonly Channel<ClaimRequest> _requests = Channel.CreateUnbounded<ClaimRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<IReadOnlyList<KlaviyoProfile>, CancellationToken, Task<HashSet<string>>> _insert;
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;

    /// <param name="insert">Inserts the contacts not yet known to the run and returns the ids it inserted.</param>
    /// <param name="cancellationToken">Stops claiming; claims still queued are cancelled.</param>
    public GroupCommitClaims(Func<IReadOnlyList<KlaviyoProfile>, CancellationToken, Task<HashSet<string>>> insert, CancellationToken cancellationToken)
    {
        _insert = insert;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
    }

    /// <summary>Claims <paramref name="profiles"/>; returns those this call claimed (in page order).</summary>
    public async Task<List<KlaviyoProfile>> ClaimAsync(IReadOnlyList<KlaviyoProfile> profiles, CancellationToken cancellationToken)
    {
        if (profiles.Count == 0)
        {
            return [];
        }
        var request = new ClaimRequest(profiles);
        if (!_requests.Writer.TryWrite(request))
        {
            throw new OperationCanceledException("Claiming has stopped.");
        }
        return await request.Result.Task.WaitAsync(cancellationToken);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var group = new List<ClaimRequest>();
        var contacts = new List<KlaviyoProfile>(MaxContactsPerCommit);
        try
        {
            while (await _requests.Reader.WaitToReadAsync(cancellationToken))
            {
                group.Clear();
                contacts.Clear();
                while (contacts.Count < MaxContactsPerCommit && _requests.Reader.TryRead(out var request))
                {
                    group.Add(request);
                    contacts.AddRange(request.Profiles);
                }
                try
                {
                    var inserted = await _insert(contacts, cancellationToken);
                    foreach (var request in group)
                    {
                        request.Result.TrySetResult(request.Profiles.Where(p => inserted.Remove(p.Id)).ToList());
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    group.ForEach(r => r.Result.TrySetCanceled(cancellationToken));
                    throw;
                }
                catch (Exception ex)
                {
                    // Each stream sees the failure of its own claim and the run fails or retries as a whole.
                    group.ForEach(r => r.Result.TrySetException(ex));
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the claims still queued are cancelled below.
        }
        finally
        {
            _requests.Writer.TryComplete();
            while (_requests.Reader.TryRead(out var left))
            {
                left.Result.TrySetCanceled(CancellationToken.None);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private sealed class ClaimRequest(IReadOnlyList<KlaviyoProfile> profiles)
    {
        public IReadOnlyList<KlaviyoProfile> Profiles { get; } = profiles;

        public TaskCompletionSource<List<KlaviyoProfile>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
