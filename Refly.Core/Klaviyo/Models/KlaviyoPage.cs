namespace Refly.Core.Klaviyo;

/// <summary>One page of a cursor-paginated collection.</summary>
/// <param name="Items">The page's items.</param>
/// <param name="NextCursor">
/// The bare <c>page[cursor]</c> value of Klaviyo's <c>links.next</c> (not the URL), or null on the last page. It does not
/// depend on the base URL, so it can be stored (e.g. in SQLite) and passed back after a restart or a base URL change.
/// </param>
public sealed record KlaviyoPage<T>(IReadOnlyList<T> Items, string? NextCursor);
