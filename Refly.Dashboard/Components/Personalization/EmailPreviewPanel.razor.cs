using Microsoft.AspNetCore.Components;
using MudBlazor;
using Refly.Core.Campaigns;
using Refly.Core.Klaviyo;
using Refly.Core.Personalization;

namespace Refly.Dashboard.Components.Personalization;

/// <summary>
/// The selected messages as the real email (rendered by Klaviyo through <see cref="EmailPreviewService"/>), original next
/// to personalized, for the samples or one contact by e-mail. Nothing is asked of Klaviyo until the marketer asks.
/// </summary>
public sealed partial class EmailPreviewPanel : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private IReadOnlyList<EmailPreview> _previews = [];
    private string? _email;
    private string? _error;
    private bool _loading;
    private int _version;

    [Parameter, EditorRequired]
    public required Campaign Campaign { get; set; }

    /// <summary>The messages to preview (the dialog's selection, or the run's messages).</summary>
    [Parameter, EditorRequired]
    public required IReadOnlyList<string> MessageIds { get; set; }

    /// <summary>The brief to personalize with, when the marketer gave one.</summary>
    [Parameter]
    public CampaignBrief? Brief { get; set; }

    /// <summary>Copy the marketer approved for fact groups (edited or rewritten samples): shown as the run writes it.</summary>
    [Parameter]
    public IReadOnlyCollection<ApprovedCopyInput>? ApprovedCopies { get; set; }

    [Inject]
    public required EmailPreviewService Previews { get; init; }

    private async Task LoadAsync()
    {
        // A newer request wins: an answer to an older one (other messages, other e-mail) is dropped.
        var version = ++_version;
        _loading = true;
        _error = null;
        try
        {
            var result = await Previews.PreviewAsync(Campaign, MessageIds, _email, Brief, _disposed.Token, ApprovedCopies);
            if (version != _version)
            {
                return;
            }
            _previews = result.Previews;
            _error = result.Status == EmailPreviewStatus.Ok ? null : result.Message;
        }
        catch (KlaviyoException ex)
        {
            if (version == _version)
            {
                _previews = [];
                _error = $"Klaviyo could not render the preview: {ex.Message}";
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            return;
        }
        finally
        {
            if (version == _version)
            {
                _loading = false;
            }
        }
    }

    private static string FactsLine(EmailPreview preview) =>
        $"{preview.MessageLabel ?? "Message"} · {preview.Facts}" +
        (preview.GroupSize > 1 ? $" · {preview.GroupSize:N0} contacts like this in the sample" : "");

    private static string SourceText(ContentSource source) => source switch
    {
        ContentSource.Model => "Written by the model",
        ContentSource.RuleBased => "Rule-based copy",
        _ => "Original kept",
    };

    private static Color SourceColor(ContentSource source) => source switch
    {
        ContentSource.Model => Color.Primary,
        ContentSource.RuleBased => Color.Info,
        _ => Color.Default,
    };

    public void Dispose()
    {
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
