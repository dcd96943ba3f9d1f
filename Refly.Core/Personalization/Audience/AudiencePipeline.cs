using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.EntityFrameworkCore.Storage;
using Refly.Core.Klaviyo;
using Refly.Core.Leases;
using Refly.Core.Observability;
using Refly.Core.Persistence;
namespace Refly.Core.Personalization;

/// <summary>How the audience part of a run ended.</summary>
public sealed record AudienceOutcome(bool ReachedEnd, string? StopReason);

/// <summary>
/// The audience part of a run (docs/ARCHITECTURE.md, "A run's life"): <see cref="AudienceReader"/> streams and
/// personalizes the audience, <see cref="AudienceImportWriter"/> writes it with profile bulk import jobs pipelined
/// behind the reads; a bounded channel of <see cref="PersonalizedPage"/>s joins the two.
/// </summary>
public sealed class AudiencePipeline(
    AudienceReader reader, AudienceImportWriter writer, RunPersonalizerFactory personalizers, RunPersonalizationStatsStore stats, ApprovedCopyStore approvedCopy)
{
    public async Task<AudienceOutcome> RunAsync(PersonalizationRun run, string campaignName, KlaviyoAudiences audiences, CancellationToken cancellationToken)
    {
        // Chosen once: a personalizer changed in Settings meanwhile applies to the next run, not halfway through this one.
        run = await reader.PrepareAsync(run, audiences, cancellationToken);
        var saved = await stats.GetAsync(run.Id, cancellationToken);
        var chosen = await personalizers.CreateAsync(saved?.Personalizer ?? personalizers.DefaultFor(run.SendTime), run.SendTime, run.TotalEstimate, cancellationToken);
        var meter = new RunUsageMeter(chosen, saved);
        // The copy the marketer approved for some fact groups comes first; it was copied to the run when it started.
        var personalizer = ApprovedCopyPersonalizer.Wrap(chosen.Personalizer, await approvedCopy.GetForRunAsync(run, cancellationToken));

        var pages = Channel.CreateBounded<PersonalizedPage>(new BoundedChannelOptions(64) { SingleReader = false, SingleWriter = false });
        using var readerStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = reader.ReadAsync(run, campaignName, personalizer, pages.Writer, readerStop.Token);
        try
        {
            await writer.WriteAsync(run, pages.Reader, meter, cancellationToken);
        }
        finally
        {
            await readerStop.CancelAsync();
            await Task.WhenAny(reading);
        }
        return await reading;
    }

    /// <inheritdoc cref="AudienceReader.ForgetUnconfirmedAsync"/>
    public Task<int> ForgetUnconfirmedAsync(Guid runId, CancellationToken cancellationToken) =>
        reader.ForgetUnconfirmedAsync(runId, cancellationToken);
}
