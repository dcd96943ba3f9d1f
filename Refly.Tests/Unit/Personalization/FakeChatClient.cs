using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace Refly.Tests.Unit.Personalization;

/// <summary>An <see cref="IChatClient"/> that answers from a delegate and records what it was sent; no network.</summary>
internal sealed class FakeChatClient(Func<IReadOnlyList<ChatMessage>, CancellationToken, Task<ChatResponse>> respond) : IChatClient
{
    private readonly List<IReadOnlyList<ChatMessage>> _calls = [];

    public IReadOnlyList<IReadOnlyList<ChatMessage>> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    public static FakeChatClient Answering(string text) => new((_, _) => Task.FromResult(Answer(text)));

    public static ChatResponse Answer(string text) => new(new ChatMessage(ChatRole.Assistant, text));

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        lock (_calls)
        {
            _calls.Add(list);
        }

        return respond(list, cancellationToken);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
