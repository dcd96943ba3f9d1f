using Refly.Core.Klaviyo;

namespace Refly.Core.Personalization;

/// <summary>
/// One audience page after personalization, on its way from <see cref="AudienceReader"/> to
/// <see cref="AudienceImportWriter"/>: the profiles' property patches, their estimated size in an import job, how many
/// contacts fell back, and where the page's stream continues (the checkpoint moves there once the page is confirmed).
/// </summary>
public sealed record PersonalizedPage(List<ProfilePropertyPatch> Patches, int Bytes, int FellBack)
{
    /// <summary>The index of the audience stream (<see cref="RunCheckpoint.Sources"/>) the page came from.</summary>
    public int SourceIndex { get; init; }

    /// <summary>The stream's cursor after this page; null when it was the stream's last.</summary>
    public string? CursorAfter { get; init; }

    /// <summary>Contacts of the page held out (claimed HeldOut, no patch): counted as processed once the page is confirmed.</summary>
    public int HeldOut { get; init; }

    /// <summary>Where the page's content came from (contacts times messages), added to the run's stats once confirmed.</summary>
    public PageSourceCounts Sources { get; init; } = PageSourceCounts.None;
}
