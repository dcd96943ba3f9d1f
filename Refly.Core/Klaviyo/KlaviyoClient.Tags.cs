using System.Runtime.CompilerServices;

namespace Refly.Core.Klaviyo;

public sealed partial class KlaviyoClient
{
    /// <inheritdoc />
    public async Task<KlaviyoTag?> FindTagByNameAsync(string name, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        using var doc = await GetRequiredAsync(
            KlaviyoEndpoints.GetTags, "/api/tags" + Query(("filter", $"equals(name,{FilterString(name)})")), cancellationToken).ConfigureAwait(false);
        return KlaviyoResponseParser.Tags(doc.RootElement).FirstOrDefault(tag => string.Equals(tag.Name, name, StringComparison.Ordinal));
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<string> GetCampaignIdsForTagAsync(string tagId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tagId);
        var pathAndQuery = $"/api/tags/{Escape(tagId)}/relationships/campaigns";
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pathAndQuery is not null)
        {
            List<string> ids;
            using (var doc = await GetRequiredAsync(KlaviyoEndpoints.GetCampaignIdsForTag, pathAndQuery, cancellationToken).ConfigureAwait(false))
            {
                ids = KlaviyoResponseParser.RelationshipIds(doc.RootElement);

                // The spec lists no page[cursor] for this operation; should Klaviyo still paginate, follow its own link
                // (path and query only, on our base URL).
                var next = JsonApi.NextLink(doc.RootElement);
                pathAndQuery = next is null ? null : PathAndQueryOf(next);
                if (pathAndQuery is not null && !seen.Add(pathAndQuery))
                {
                    throw new KlaviyoResponseException("links.next repeats a page already read.");
                }
            }

            foreach (var id in ids)
            {
                yield return id;
            }
        }
    }

    /// <summary>A string literal of Klaviyo's filter syntax: single-quoted, with backslash and quote escaped by a backslash.</summary>
    internal static string FilterString(string value) =>
        "'" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private static string PathAndQueryOf(string link) =>
        Uri.TryCreate(link, UriKind.Absolute, out var absolute) ? absolute.PathAndQuery
        : link.StartsWith('/') ? link
        : throw new KlaviyoResponseException($"links.next '{link}' is not a URL.");
}
