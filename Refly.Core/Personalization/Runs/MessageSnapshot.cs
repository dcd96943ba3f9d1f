namespace Refly.Core.Personalization;

/// <summary>A message's content before the run switched it.</summary>
public sealed class MessageSnapshot
{
    public required string MessageId { get; set; }

    public string? Label { get; set; }

    public required string Subject { get; set; }

    public string? PreviewText { get; set; }

    public string? TemplateId { get; set; }

    public string? TemplateHtml { get; set; }

    /// <summary>The clone holding the personalized block, assigned to the message while the run is in effect.</summary>
    public string? PersonalizedTemplateId { get; set; }
}
