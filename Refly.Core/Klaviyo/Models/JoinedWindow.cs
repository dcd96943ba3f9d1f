namespace Refly.Core.Klaviyo;

/// <summary>Half-open window [From, To) on joined_group_at; either end may be open.</summary>
public sealed record JoinedWindow(DateTimeOffset? From, DateTimeOffset? To);
