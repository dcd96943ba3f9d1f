namespace Refly.Core.Personalization;

/// <summary>Audit trail: who or what started, cancelled, finished or failed a run, and when.</summary>
public sealed class RunEvent
{
    public long Id { get; set; }

    public Guid RunId { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Kind { get; set; }

    public required string Message { get; set; }

    public string? Actor { get; set; }
}
